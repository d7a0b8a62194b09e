"""One guest connection to the mirror, relayed: qemu runs this script per connection a VM opens
to a mirror's guest address (``guestfwd=...-cmd:``), with the connection on stdin/stdout.

A tcp chardev in ``guestfwd`` is one connection for the VM's whole life; apt opens many. This
script copies bytes both ways between the guest's socket and ``HOST:PORT`` until both ends
close. It is run by path with ``python -I`` (only the standard library, no swarmdeck imports).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def main(argv: list[str]) -> int:
    host, port = argv[1], int(argv[2])
    guest = socket.socket(fileno=0)
    try:
        upstream = socket.create_connection((host, port), timeout=30)
    except OSError:
        return 1
    upstream.settimeout(None)
    back = threading.Thread(target=_pump, args=(upstream, guest), daemon=True)
    back.start()
    _pump(guest, upstream)
    back.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
