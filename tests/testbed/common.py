"""Small helpers shared by the test bed modules: errors, commands, polling, processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class TestbedError(RuntimeError):
    """A part of the test bed is missing or could not be brought up; the message says why."""

    __test__ = False  # not a test class, whatever pytest's name heuristics think


def run(cmd: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing output; a failure raises TestbedError with its stderr."""
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120)
    except FileNotFoundError as exc:
        raise TestbedError(f"program not found: {cmd[0]} (is its Debian package installed?)") from exc
    if check and proc.returncode != 0:
        raise TestbedError(f"`{' '.join(cmd)}` failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def wait_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    detail: Callable[[], str] | None = None,
) -> T:
    """Poll `probe` until it returns something truthy; raise TestbedError after `timeout`.

    `detail` is called on timeout to append context (a log tail, the last state seen).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            extra = f"\n{detail()}" if detail else ""
            raise TestbedError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return f"last lines of {path}:\n" + "\n".join(text[-lines:])


def cmdline(pid: int) -> list[str]:
    """The command line of a live process, or [] when there is none (or it is a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_process(pid: int | None, *needles: str) -> bool:
    """True if `pid` is alive and its command line contains every one of `needles`.

    Pid files outlive their processes and pids get reused: never signal a pid without this.
    """
    if not pid:
        return False
    args = " ".join(cmdline(pid))
    return bool(args) and all(needle in args for needle in needles)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def stop_process(pid: int, *, grace: float = 25) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; reaps it if it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return

    def gone() -> bool:
        try:
            reaped, _ = os.waitpid(pid, os.WNOHANG)
            if reaped == pid:
                return True
        except ChildProcessError:
            pass
        return not cmdline(pid)

    try:
        wait_for(gone, timeout=grace, what=f"process {pid} to exit")
    except TestbedError:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_for(gone, timeout=10, what=f"process {pid} to die after SIGKILL")


def spawn(cmd: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a long-running daemon in its own session, appending its output to `log`.

    Its own session keeps it alive when the pytest process (or its process group) ends:
    the shared state decides who stops it, not the process tree.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
        out.flush()
        try:
            return subprocess.Popen(
                list(cmd),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise TestbedError(f"program not found: {cmd[0]}") from exc
