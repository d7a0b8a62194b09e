"""A machine's shell through the OpenSSH client, run as a subprocess.

Always non-interactive (BatchMode), with the machine's own key only (IdentitiesOnly) and its
own known_hosts: the host key is accepted on first contact (accept-new) and pinned from then
on, so a changed key is refused. The user's ~/.ssh/config and known_hosts are not read.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from typing import NoReturn

from swarmdeck.machine.driver import SSHTarget
from swarmdeck.machine.errors import MachineError

CONNECT_TIMEOUT = 10
MAX_STDERR = 2000


@dataclass(frozen=True)
class Result:
    exit_status: int
    stdout: str
    stderr: str


def ssh_argv(target: SSHTarget, tty: bool = False) -> list[str]:
    """The ``ssh`` command line that reaches ``target`` (the command follows it)."""
    target.known_hosts.parent.mkdir(parents=True, exist_ok=True)
    return [
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        f"IdentityFile={target.key}",
        "-o",
        f"UserKnownHostsFile={target.known_hosts}",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
        f"ConnectTimeout={CONNECT_TIMEOUT}",
        "-o",
        "ServerAliveInterval=10",
        "-o",
        "LogLevel=ERROR",
        "-p",
        str(target.port),
        "-t" if tty else "-T",
        f"{target.user}@{target.host}",
    ]


def as_root(target: SSHTarget, command: str) -> str:
    """``command`` as root: itself for root, else through ``sudo -n`` (no password prompt)."""
    return command if target.user == "root" else f"sudo -n sh -c {shlex.quote(command)}"


def run(
    target: SSHTarget,
    command: str,
    *,
    input: bytes | None = None,
    check: bool = True,
    timeout: float = 600,
    root: bool = False,
) -> Result:
    """Run ``command`` (a shell line) on the machine (``root``: as root); with ``check``, a
    non-zero exit is a ``MachineError`` carrying the command's stderr."""
    line = as_root(target, command) if root else command
    try:
        done = subprocess.run(
            [*ssh_argv(target), line],
            input=input if input is not None else b"",
            capture_output=True,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise MachineError("ssh is not installed (the OpenSSH client package)") from None
    except subprocess.TimeoutExpired:
        raise MachineError(
            f"{target.user}@{target.host}:{target.port}: {command!r} took over {timeout:.0f} s"
        ) from None
    result = Result(
        done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    )
    if check and result.exit_status != 0:
        where = f"{target.user}@{target.host}:{target.port}"
        stderr = result.stderr.strip()[-MAX_STDERR:] or "(no message)"
        if result.exit_status == 255:  # ssh's own failure: the command did not run
            raise MachineError(f"cannot reach {where} over SSH: {stderr}")
        raise MachineError(f"on {where}, {command!r} failed (exit {result.exit_status}): {stderr}")
    return result


def write_file(target: SSHTarget, path: str, data: bytes, mode: int = 0o644, root: bool = False) -> None:
    """Write ``data`` to ``path`` on the machine (through stdin), with ``mode``, atomically
    (``root``: as root)."""
    tmp = f"{path}.swarmdeck-tmp"
    quoted, quoted_tmp = shlex.quote(path), shlex.quote(tmp)
    run(
        target,
        f"mkdir -p {shlex.quote(os.path.dirname(path) or '/')} && umask 077 && cat > {quoted_tmp} "
        f"&& chmod {mode:o} {quoted_tmp} && mv -f {quoted_tmp} {quoted}",
        input=data,
        root=root,
    )


def exec_shell(target: SSHTarget, command: list[str]) -> NoReturn:
    """Replace this process with ``ssh`` to the machine (interactive when no command is given)."""
    argv = ssh_argv(target, tty=not command)
    if command:
        argv.append(" ".join(command))  # as ssh itself joins a command's words
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        raise MachineError(f"cannot run ssh: {exc.strerror}") from exc
