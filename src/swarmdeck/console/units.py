"""Sizes as the console shows them (pages, and sentences in API answers such as what garbage
collection freed): decimal units, as the docker CLI writes them."""

from __future__ import annotations


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
