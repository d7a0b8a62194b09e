"""The web console: a JSON API under /api and server-rendered pages with live updates."""

from swarmdeck.console.app import create_app

__all__ = ["create_app"]
