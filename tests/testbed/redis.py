"""Real redis-server processes for tests and benchmarks, one per user, on loopback.

    with RedisServer() as redis:            # started on a free 127.0.0.1 port
        redis.pause()                        # SIGSTOP: connects succeed, nothing answers
        redis.resume()                       # SIGCONT
        redis.stop(); redis.restart()        # gone (connection refused), then back, same port
        redis.command("GET", "counter")      # a tiny RESP client, no dependency

The server is our child: `--daemonize no`, no persistence (`--save "" --appendonly no`),
its files in a temporary folder. Cleanup is guaranteed three ways: `close()` (the context
manager and the pytest fixtures call it), a finalizer at interpreter exit, and
PR_SET_PDEATHSIG so the kernel kills it if the process that started it dies hard.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

from .common import TestbedError, log_tail

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _cleanup(live: dict[str, subprocess.Popen[bytes] | None], folder: str) -> None:
    """Kill the current server (SIGKILL works on a stopped one too) and remove its folder."""
    proc = live.get("proc")
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


class RedisServer:
    """One redis-server on 127.0.0.1, started, stopped, paused and killed on demand."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None, *, executable: str = "redis-server") -> None:
        path = shutil.which(executable)
        if path is None:
            raise TestbedError(
                f"{executable} not found: install Debian's redis-server (scripts/setup.sh does)"
            )
        self.executable = path
        self._fixed_port = port is not None
        self.port = port or free_port()
        self._folder = tempfile.mkdtemp(prefix="swarmdeck-redis-")
        self.log = Path(self._folder) / "redis.log"
        self._live: dict[str, subprocess.Popen[bytes] | None] = {"proc": None}
        # Runs at close(), or at interpreter exit if close() was never called.
        self._finalizer = weakref.finalize(self, _cleanup, self._live, self._folder)
        self.paused = False

    # -- life cycle -------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start on `self.port` and return once it answers PING."""
        if self.running:
            raise TestbedError(f"redis-server on port {self.port} is already running")
        for attempt in range(3):
            self._spawn()
            if self._wait_ready(timeout):
                return self
            self._reap()
            if self._fixed_port or attempt == 2:
                break
            self.port = free_port()  # someone took the port between our pick and the bind
        raise TestbedError(f"redis-server did not answer on {self.host}:{self.port}\n{log_tail(self.log)}")

    def stop(self) -> None:
        """SIGTERM (no persistence, so it exits at once) and wait; a paused server is resumed."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            self._reap()
            return
        if self.paused:
            self.resume()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        self._reap()

    def kill(self) -> None:
        """SIGKILL: gone at once, like a crashed host."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self._reap()

    def pause(self) -> None:
        """SIGSTOP: the kernel still accepts connections, Redis answers nothing (a hang)."""
        self._signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """SIGCONT after pause()."""
        self._signal(signal.SIGCONT)
        self.paused = False

    def restart(self, timeout: float = 10.0) -> RedisServer:
        """Stop if running, then start again on the same port (data is not kept)."""
        self.stop()
        self._fixed_port = True
        return self.start(timeout)

    def close(self) -> None:
        """Kill the server if it runs and remove its folder; safe to call twice."""
        self._finalizer()
        self.paused = False

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc else None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    # -- talking to it ------------------------------------------------------------------------

    def command(self, *args: str, timeout: float = 5.0) -> str | int | None:
        """Send one command, return its reply (simple string, integer, bulk string or None).

        Error replies raise TestbedError. Enough for GET/SET/INCR/PING/FLUSHALL in tests.
        """
        payload = b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args
        )
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(payload)
            reader = sock.makefile("rb")
            line = reader.readline().rstrip(b"\r\n")
            kind, rest = line[:1], line[1:].decode()
            if kind == b"+":
                return rest
            if kind == b":":
                return int(rest)
            if kind == b"$":
                if int(rest) < 0:
                    return None
                return reader.read(int(rest) + 2)[:-2].decode()
            if kind == b"-":
                raise TestbedError(f"redis {args[0]}: {rest}")
            raise TestbedError(f"redis {args[0]}: unexpected reply {line[:80]!r}")

    def counter(self, key: str = "counter") -> int:
        """The integer value of `key` (0 when it does not exist)."""
        value = self.command("GET", key)
        return int(value) if value is not None else 0

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self) -> None:
        cmd = [
            self.executable,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", self._folder,
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self._live["proc"] = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        self.paused = False

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                if self.command("PING", timeout=1.0) == "PONG":
                    return True
            except (OSError, TestbedError):
                pass
            time.sleep(0.02)
        return False

    def _signal(self, sig: signal.Signals) -> None:
        if not self.running or self._proc is None:
            raise TestbedError(f"redis-server on port {self.port} is not running")
        self._proc.send_signal(sig)

    @property
    def _proc(self) -> subprocess.Popen[bytes] | None:
        return self._live["proc"]

    def _reap(self) -> None:
        proc = self._live["proc"]
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        self._live["proc"] = None
        self.paused = False
