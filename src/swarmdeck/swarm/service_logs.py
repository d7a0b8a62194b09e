"""A service's logs as the docker CLI shows them (`docker service logs`): each line after
``name.slot.taskid@node    | ``, optionally after its timestamp, streamed while it comes.

The engine tags every line with its task and node (the ``details`` of the logs call);
each task and node is asked for once, and the prefix is built from them as the CLI does:
the slot padded to the width of the replica count, the task ID cut to 12 characters
unless ``no_trunc``. Following ends when the caller stops reading (Ctrl-C at the CLI) or
closes the ``Lines`` (the console, when its browser goes away). A search keeps the lines
that contain it, here, so only those travel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from swarmdeck.engine.errormap import doing, iterating
from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.sdkapi import typed_api
from swarmdeck.swarm.services import raw_service

if TYPE_CHECKING:
    import docker


_TASK = "com.docker.swarm.task.id"
_NODE = "com.docker.swarm.node.id"
_SWARM_DETAILS = (_TASK, _NODE, "com.docker.swarm.service.id")


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False
    timestamps: bool = False
    tail: str = "all"  # a number of lines, or "all"
    no_trunc: bool = False
    search: str = ""  # only the lines containing it (any case)


def _details(text: str) -> dict[str, str]:
    """The engine's ``k=v,k=v`` details, each part URL-encoded."""
    found = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key:
            found[unquote(key)] = unquote(value)
    return found


class _Prefixes:
    """``name.slot.taskid@node`` with its padding, per (task, node), each looked up once."""

    def __init__(self, client: docker.DockerClient, service: dict[str, Any], options: LogOptions) -> None:
        self.client, self.service, self.options = client, service, options
        replicas = ((service["Spec"].get("Mode") or {}).get("Replicated") or {}).get("Replicas")
        self.width = len(str(replicas)) if replicas else 1
        self.cache: dict[tuple[str, str], str] = {}

    def __call__(self, task_id: str, node_id: str) -> str:
        if (task_id, node_id) not in self.cache:
            self.cache[task_id, node_id] = self._build(task_id, node_id)
        return self.cache[task_id, node_id]

    def _build(self, task_id: str, node_id: str) -> str:
        with doing(f"task {task_id}"):
            task = typed_api(self.client).inspect_task(task_id)
        with doing(f"node {node_id}"):
            node = self.client.api.inspect_node(node_id)
        slot = task.get("Slot") or 0
        name = f"{self.service['Spec']['Name']}.{slot or task.get('NodeID', '')}"
        name += "." + (task_id if self.options.no_trunc else task_id[:12])
        hostname = (node.get("Description") or {}).get("Hostname", node_id)
        return f"{name}@{hostname}" + " " * max(0, self.width - len(str(slot)))


def _line(raw: str, prefixes: _Prefixes, timestamps: bool) -> str:
    parts = raw.split(" ", 2 if timestamps else 1)
    stamp = parts.pop(0) + " " if timestamps else ""
    details = _details(parts[0]) if parts else {}
    message = parts[1] if len(parts) > 1 else ""
    extra = ",".join(f"{k}={v}" for k, v in details.items() if k not in _SWARM_DETAILS)
    head = prefixes(details.get(_TASK, ""), details.get(_NODE, ""))
    return f"{stamp}{head}    | {extra + ' ' if extra else ''}{message}"


class Lines:
    """The service's log lines, prefixed as the docker CLI prints them (without newlines),
    only those containing ``options.search`` (any case) when it is given; ``close()`` from
    another thread ends a blocked read of a followed log."""

    def __init__(self, client: docker.DockerClient, ref: str, options: LogOptions) -> None:
        service = raw_service(client, ref)
        tty = bool(service["Spec"]["TaskTemplate"]["ContainerSpec"].get("TTY"))
        self.action = f"logs of {service['Spec']['Name']}"
        self.options = options
        self.prefixes = _Prefixes(client, service, options)
        self._closed = False
        params = {
            "details": True,
            "follow": options.follow,
            "stdout": True,
            "stderr": True,
            "timestamps": options.timestamps,
            "tail": options.tail,
        }
        api: Any = client.api  # the SDK's own helpers, keeping the response so it can be closed
        with doing(self.action):
            self._response = api._get(
                api._url("/services/{0}/logs", service["ID"]), params=params, stream=True
            )
            api._raise_for_status(self._response)
            self._frames = api._get_result_tty(True, self._response, tty)

    def __iter__(self) -> Iterator[str]:
        needle = self.options.search.casefold()
        try:
            for frame in iterating(self.action, self._frames):
                for raw in frame.decode("utf-8", "replace").splitlines():
                    line = _line(raw, self.prefixes, self.options.timestamps)
                    if needle in line.casefold():
                        yield line
        except (OSError, ValueError, AttributeError, EngineError):
            if not self._closed:
                raise
            # closed under us: the reader went away

    def close(self) -> None:
        self._closed = True
        self._response.close()


def stream(client: docker.DockerClient, ref: str, options: LogOptions) -> Iterator[str]:
    """The service's log lines, prefixed as the docker CLI prints them (without newlines)."""
    yield from Lines(client, ref, options)
