"""`python -m friendlyhello`: check the settings, then serve with granian (RSGI)."""

from __future__ import annotations

import copy
import sys

from .config import ConfigError, Settings


def main() -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"friendlyhello: {error}", file=sys.stderr)
        return 2

    # Imported here so that a bad setting is reported without loading the server.
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LOGGING_CONFIG

    logging_config = copy.deepcopy(LOGGING_CONFIG)
    logging_config["loggers"]["friendlyhello"] = {
        "handlers": ["console"],
        "level": "INFO",
        "propagate": False,
    }
    server = Granian(
        "friendlyhello.app:app",
        address=settings.bind,
        port=settings.port,
        interface=Interfaces.RSGI,
        workers=settings.workers,
        loop=Loops.uvloop,
        websockets=False,
        # granian holds one backpressure permit per open connection, idle keep-alive ones
        # included; with its default (backlog / workers = 512) the 513th concurrent
        # keep-alive client of a worker waited 30 s, until an idle one timed out.
        backlog=2048,
        backpressure=4096,
        log_dictconfig=logging_config,
        workers_kill_timeout=10,
    )
    server.serve()  # returns on SIGTERM/SIGINT once the workers have stopped
    return 0


if __name__ == "__main__":
    sys.exit(main())
