"""The Engine API version every swarmdeck client speaks, pinned in one place.

Both clients (the SDK's, ``engine.client``; the light read-only one, ``engine.light``) ask
for it, so the two see the same JSON.
"""

from __future__ import annotations

# Engine 20.10 (Debian 12's docker.io) speaks API 1.41; newer engines accept it too.
MIN_API_VERSION = "1.41"
