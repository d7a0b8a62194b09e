"""Builders the test folders share (no test module imports another: they import from here)."""
