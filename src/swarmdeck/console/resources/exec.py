"""An interactive exec in a container: ``docker exec -it`` through the SDK's low-level API.

``ExecSession.open`` creates the exec with a TTY and stdin (``exec_create``), starts it as a
raw socket (``exec_start(socket=True)``: with a TTY the engine sends the terminal's bytes as
they are, not multiplexed) and sizes it. The console's websocket pumps bytes both ways through
``read``/``write`` (blocking: run them in a thread) and forwards the browser's size with
``resize``. A task's container is found here too: only on the engine that runs it
(``task_container``)."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from typing import Any

import docker

from swarmdeck.console.errors import ConsoleError
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError

READ_CHUNK = 65536


@dataclass
class ExecSession:
    client: docker.DockerClient
    exec_id: str
    sock: Any  # the engine's raw socket (a socket.socket, or an SSL socket over TLS)

    @classmethod
    def open(
        cls, client: docker.DockerClient, container: str, cmd: list[str], cols: int, rows: int
    ) -> ExecSession:
        api = client.api
        with doing(f"exec in container {container}"):
            created = api.exec_create(
                container, cmd, stdin=True, tty=True, environment={"TERM": "xterm-256color"}
            )
            raw = api.exec_start(created["Id"], tty=True, socket=True)
        session = cls(client, created["Id"], getattr(raw, "_sock", raw))
        session.resize(cols, rows)
        return session

    def read(self) -> bytes:
        """The next bytes the terminal wrote; b"" once the process ended (or the socket closed)."""
        try:
            return bytes(self.sock.recv(READ_CHUNK))
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def resize(self, cols: int, rows: int) -> None:
        # the process may have just ended
        with contextlib.suppress(EngineError), doing("resizing the terminal"):
            self.client.api.exec_resize(self.exec_id, height=rows, width=cols)

    def exit_code(self) -> int | None:
        with contextlib.suppress(EngineError), doing("reading the exec's exit code"):
            return self.client.api.exec_inspect(self.exec_id).get("ExitCode")
        return None

    def close(self) -> None:
        """End the session: the shell sees its terminal hang up."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()


def task_container(client: docker.DockerClient, task_id: str) -> str:
    """The container of task ``task_id`` when this endpoint's engine runs it; else a 409 that
    says which node does (an exec goes to the engine that runs the container)."""
    with doing(f"task {task_id}"):
        task = client.api.inspect_task(task_id)
        here = (client.info().get("Swarm") or {}).get("NodeID", "")
    container = ((task.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID", "")
    node = task.get("NodeID", "")
    if not container:
        raise ConsoleError(f"task {task_id} has no container (yet): it is {task['Status'].get('State')}", 409)
    if node != here:
        raise ConsoleError(
            f"task {task_id} runs on node {node}, not on this endpoint's engine (node {here}): "
            "add that node's engine as an endpoint and exec there",
            409,
        )
    return str(container)
