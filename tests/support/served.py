"""A console app served for real: uvicorn on a free loopback port, in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def serve_app(app: FastAPI, host: str = "127.0.0.1") -> Iterator[str]:
    """``app`` on a free port of ``host`` (loopback unless told), as ``swarmdeck serve`` runs
    it; yields its URL.

    Like ``serve``, uvicorn reads no proxy headers: by default it would believe
    X-Forwarded-For from loopback and rewrite the client address before the console's own
    trusted-proxy rule sees it, so a spoofing test would pass for the wrong reason."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=0,
            log_level="warning",
            timeout_graceful_shutdown=2,
            proxy_headers=False,
            ws="wsproto",  # as serve: the exec console's websockets
        )
    )
    thread = threading.Thread(target=server.run, daemon=True, name="served-console")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
