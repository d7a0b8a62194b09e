"""A swarm's nodes: list and inspect them (with their tasks), change a node's role,
availability or labels, remove one (`docker node ls|inspect|update|promote|demote|rm`).

Only a manager answers; each change refuses what would cut the caller off (demoting the
only manager, or the manager it acts through; removing that manager). A node is named as
the docker CLI names it: its ID, an ID prefix, its hostname, or ``self`` (``resolve``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from swarmdeck.engine.errormap import doing
from swarmdeck.errors import SwarmdeckError
from swarmdeck.swarm import views
from swarmdeck.swarm.errors import Refused, SwarmRefusal
from swarmdeck.swarm.membership import manager_read, require_manager
from swarmdeck.swarm.views import NodeView

if TYPE_CHECKING:
    import docker

    from swarmdeck.engine.light import ReadClient


RUNNING = {"desired-state": "running"}  # the tasks meant to run (not the history of earlier ones)


def raw_nodes(client: ReadClient) -> list[dict[str, Any]]:
    return manager_read(client, "listing nodes", client.api.nodes)


def raw_tasks(client: ReadClient, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return manager_read(client, "listing tasks", lambda: client.api.tasks(filters=filters or {}))


def raw_services(client: ReadClient, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return manager_read(client, "listing services", lambda: client.api.services(filters=filters))


def service_names(client: docker.DockerClient) -> dict[str, str]:
    return {s["ID"]: s["Spec"]["Name"] for s in raw_services(client)}


def list_nodes(client: docker.DockerClient) -> list[NodeView]:
    """`docker node ls`: managers first, each with its running tasks counted."""
    return views.node_views(raw_nodes(client), raw_tasks(client, RUNNING))


def get_node(client: docker.DockerClient, node_id: str) -> NodeView:
    """The node and every task it has (``task_list``)."""
    attrs = manager_read(client, f"node {node_id}", lambda: client.api.inspect_node(node_id))
    tasks = raw_tasks(client, {"node": attrs["ID"]})
    view = views.node_view(
        attrs, views.running_by_node(t for t in tasks if t.get("DesiredState") == "running")
    )
    view["task_list"] = views.task_views(tasks, service_names(client), {attrs["ID"]: view["hostname"]})
    return view


def resolve(client: docker.DockerClient, ref: str) -> str:
    """``ref`` as the engine knows it: ``self`` is this engine's own node ID."""
    return require_manager(client).node_id if ref == "self" else ref


def _inspect(client: docker.DockerClient, node_id: str) -> dict[str, Any]:
    with doing(f"node {node_id}"):
        return client.api.inspect_node(resolve(client, node_id))


def inspect_raw(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    """`docker node inspect REF`: the engine's own answer for the node."""
    target = resolve(client, ref)
    return manager_read(client, f"node {ref}", lambda: client.api.inspect_node(target))


def _update(
    client: docker.DockerClient, node_id: str, action: str, change: Callable[[dict[str, Any]], None]
) -> NodeView:
    require_manager(client)
    attrs = _inspect(client, node_id)
    spec: Any = dict(attrs["Spec"])
    change(spec)
    with doing(f"{action} node {node_id}"):
        client.api.update_node(attrs["ID"], attrs["Version"]["Index"], spec)
    return get_node(client, attrs["ID"])


def _refuse_demote(client: docker.DockerClient, target: str) -> None:
    """Refuse demoting the swarm's only manager, or the manager this acts through."""
    found = require_manager(client)
    managers = [n for n in list_nodes(client) if n["role"] == "manager"]
    if [m["id"] for m in managers] == [target]:
        raise Refused("this is the swarm's only manager: promote another node first")
    if target == found.node_id:
        raise SwarmRefusal("{engine} is the manager this acts through: demote it from another one")


def node_action(client: docker.DockerClient, node_id: str, action: str) -> NodeView:
    """promote / demote (role) or drain / pause / activate (availability)."""
    key, value = views.node_change(action)
    if action == "demote":
        _refuse_demote(client, _inspect(client, node_id)["ID"])
    return _update(client, node_id, action, lambda spec: spec.__setitem__(key, value))


def change_role(client: docker.DockerClient, ref: str, role: str) -> str | None:
    """`docker node promote|demote`: the node's ID when it already has ``role`` (nothing is
    changed then), else None once it has it (``node_action``'s refusals apply)."""
    views.token_role(role)
    attrs = _inspect(client, ref)
    if attrs["Spec"].get("Role") == role:
        return str(attrs["ID"])
    node_action(client, attrs["ID"], "promote" if role == "manager" else "demote")
    return None


def update(client: docker.DockerClient, ref: str, change: views.NodeUpdate) -> NodeView:
    """`docker node update`: availability, role and labels in one update. A value no node
    takes, or a label to remove that the node does not have, is refused before anything
    changes; a demotion is refused as ``node_action`` refuses it."""
    views.check_node_update(change)
    attrs = _inspect(client, ref)
    if change.get("role") == "worker" and attrs["Spec"].get("Role") != "worker":
        _refuse_demote(client, attrs["ID"])
    return _update(client, attrs["ID"], "updating", lambda spec: views.apply_node_update(spec, change))


def set_labels(client: docker.DockerClient, node_id: str, labels: dict[str, str]) -> NodeView:
    """Replace the node's labels (placement constraints read them)."""
    return _update(client, node_id, "labelling", lambda spec: spec.__setitem__("Labels", labels))


def remove(client: docker.DockerClient, node_id: str, force: bool) -> None:
    """`docker node rm`, never of the manager this acts through."""
    found = require_manager(client)
    target = _inspect(client, node_id)["ID"]
    if target == found.node_id:
        raise SwarmRefusal("{engine} is that node: remove it from another manager endpoint")
    with doing(f"removing node {node_id}"):
        client.api.remove_node(target, force=force)


def remove_each(
    client: docker.DockerClient, refs: list[str], force: bool, removed: Callable[[str], None]
) -> None:
    """`docker node rm NODE...`: every node it can remove (``removed(ref)`` after each), then
    one ``Refused`` listing, a line each, why the others were not."""
    failures = []
    for ref in refs:
        try:
            remove(client, ref, force)
        except SwarmdeckError as exc:
            failures.append(str(exc))
            continue
        removed(ref)
    if failures:
        raise Refused("\n".join(failures))
