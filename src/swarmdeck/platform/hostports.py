"""Whether a port on this host is free, asked the only reliable way: by binding it."""

from __future__ import annotations

import socket


def bind_refusal(port: int) -> str | None:
    """Why ``port`` cannot be bound on every interface (another program holds it), or None.

    SO_REUSEADDR keeps sockets in TIME_WAIT from counting as taken: the probe is about a
    listener, not about connections that just closed.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None
