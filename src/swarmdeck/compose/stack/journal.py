"""All or nothing across a crash: what a deploy is about to change, written down before the
first change, so that a deploy cut short by the death of its process can be taken back.

``undo`` takes a failed deploy back from memory. When the process carrying the deploy dies
half-way (the console's container restarted, SIGKILL, the node rebooted), that memory is gone
and the stack would stay half made. ``intent(plan)`` is the plan's changes as JSON: the
networks, secrets, configs and services it creates (by name: none of them existed when the
plan was made) and the services it updates (with the version each had then). Whoever runs
the deploy keeps it until the deploy returns (the console: in its data directory) and, if
the process died first, hands it to ``recover`` on its next start: whatever of the creations
exists is removed, and each service whose version moved since the plan is rolled back to its
previous spec, with ``undo``'s own steps. A deploy that had finished just before the process
died is taken back too: the stack ends as it was before that deploy, never half made.

This module is the stack journal's record (``intent`` plus who wrote it) and its taking back;
the file itself (written whole, locked while a deploy runs, found free when its process
died) is ``compose.journal``'s, shared with ``compose up``. ``Slot`` is the CLI's: one file
per swarm and stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker

from swarmdeck.compose import journal as journals
from swarmdeck.compose.stack import convert
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.compose.stack.undo import Undo
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound
from swarmdeck.engine.sdkapi import typed_api

if TYPE_CHECKING:
    from swarmdeck.compose.stack.plan import Plan


def intent(plan: Plan) -> dict[str, Any]:
    """The changes ``plan`` makes that ``recover`` can take back, as plain JSON."""
    create = [["network", name] for name in plan.networks]
    create += [[c.obj.kind, c.obj.name] for c in plan.objects if c.existing_id is None]
    create += [["service", s.name] for s in plan.services if s.action == "create"]
    update = [[s.name, s.service_id, s.version] for s in plan.services if s.action == "update"]
    return {"namespace": plan.namespace, "create": create, "update": update}


def recover(client: docker.DockerClient, intent: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Take back what exists of ``intent``'s changes: (what was undone, what could not be)."""
    namespace = intent["namespace"]
    undo = Undo()
    for kind, name in intent["create"]:
        object_id = _made_by_stack(client, kind, name, namespace)
        if object_id is not None:
            undo.created.append((kind, name, object_id))
    for name, service_id, version in intent["update"]:
        try:
            with doing(f"service {name}"):
                current = typed_api(client).inspect_service(service_id)
        except EngineNotFound:
            continue
        if current["Version"]["Index"] != version and current.get("PreviousSpec"):
            undo.updated.append((name, service_id))
    return undo.run(client)


def _made_by_stack(client: docker.DockerClient, kind: str, name: str, namespace: str) -> str | None:
    """The ID of the ``kind`` named exactly ``name`` that carries the stack's label, if any."""
    api: Any = client.api
    with doing(f"looking for {kind} {name}"):
        if kind == "network":
            found = [(n["Id"], n["Name"], n.get("Labels")) for n in api.networks(names=[name])]
        else:
            listed = {"service": api.services, "secret": api.secrets, "config": api.configs}[kind]
            found = [
                (o["ID"], o["Spec"]["Name"], o["Spec"].get("Labels")) for o in listed(filters={"name": name})
            ]
    for object_id, found_name, labels in found:
        if found_name == name and (labels or {}).get(convert.LABEL_NAMESPACE) == namespace:
            return str(object_id)
    return None


def scope(client: docker.DockerClient) -> str:
    """What a journal is kept per: the swarm's cluster ID (the same swarm whichever address
    reaches it), else the engine's own ID."""
    with doing("asking the engine which swarm it is"):
        info = client.info()
    cluster = ((info.get("Swarm") or {}).get("Cluster") or {}).get("ID")
    return str(cluster or info.get("ID") or "engine")


class Slot(journals.Slot):
    """One stack's journal on this machine (``compose.journal.Slot``), held by this process."""

    def __init__(self, folder: Path, scope: str, stack: str) -> None:
        busy = StackError(f"another deploy of stack {stack} is running from this machine; wait for it to end")
        super().__init__(folder, scope, stack, busy)
        self.stack = stack

    def write(self, plan: Plan) -> None:
        """The ``before_changes`` hook: the plan's intent, written before its first change."""
        self.record({"stack": self.stack, "intent": intent(plan)})


def take_back(client: docker.DockerClient, slot: Slot) -> list[str] | None:
    """Take back the deploy ``slot``'s journal records, if one never returned: what was undone
    (None: there was none; ``compose.journal.Slot.settle``). What cannot be taken back is a
    ``StackError``."""
    settled = slot.settle(
        lambda record: recover(client, record["intent"]),
        lambda record: f"a deploy of stack {slot.stack} cut short earlier (process {record.get('pid', '?')})",
        StackError,
    )
    return None if settled is None else settled[1]
