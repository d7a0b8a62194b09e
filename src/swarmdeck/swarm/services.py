"""A swarm's services and tasks: list, inspect, create, scale, update, roll back, remove,
wait for convergence (`docker service ls|ps|inspect|create|scale|update|rollback|rm`; logs are
``service_logs``'s).

A change that makes or alters a workload takes ``check``: the caller's workload policy as a
function of the spec the service will have, which raises to refuse it (the console's
``workloads``; ``owner``, no policy, for the engine's owner as the CLI acts); it runs before
anything is sent, and scaling (which changes no workload) has none. Every update sends the
spec the engine stored with only the changed fields moved (``service_spec.changed_spec``):
a spec with defaults filled in would differ in its task template and replace every task.
Environment values come back as the engine has them: masking is the edge's job.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineUnreachable
from swarmdeck.engine.names import path as engine_path
from swarmdeck.engine.sdkapi import service_model as sdk_service_model
from swarmdeck.engine.sdkapi import typed_api
from swarmdeck.swarm import views
from swarmdeck.swarm.errors import Refused, SwarmError
from swarmdeck.swarm.membership import manager_read, require_manager
from swarmdeck.swarm.nodes import RUNNING, raw_nodes, raw_services, raw_tasks, service_names
from swarmdeck.swarm.service_spec import ServiceChanges, changed_spec
from swarmdeck.swarm.views import ServiceDetail, ServiceView, TaskView

if TYPE_CHECKING:
    import docker
    from docker.models.services import Service

    from swarmdeck.engine.light import ReadClient


Check = Callable[[dict[str, Any]], None]
_CONVERGING = ("updating", "rollback_started")
_STUCK = ("paused", "rollback_paused")


def owner(spec: dict[str, Any]) -> None:
    """The engine's owner's policy: any spec (the docker CLI's; the console checks its own)."""


def list_services(client: docker.DockerClient, filters: dict[str, Any] | None = None) -> list[ServiceView]:
    """Every service with its tasks counted: two engine calls whatever the number of services
    (the tasks of all of them in one list)."""
    services = raw_services(client, filters)
    if not services:
        return []
    return views.service_views(services, raw_tasks(client, RUNNING))


def list_tasks(client: docker.DockerClient, filters: dict[str, Any] | None = None) -> list[TaskView]:
    tasks = raw_tasks(client, filters)
    return views.task_views(tasks, service_names(client), views.hostnames(raw_nodes(client)))


def get_service(client: docker.DockerClient, ref: str) -> ServiceDetail:
    """The service with its tasks (``tasks``) and its environment (``env``)."""
    s = raw_service(client, ref)
    tasks = views.task_views(
        raw_tasks(client, {"service": s["ID"]}),
        {s["ID"]: s["Spec"]["Name"]},
        views.hostnames(raw_nodes(client)),
    )
    running = Counter(t["service_id"] for t in tasks if t["state"] == "running")
    desired = Counter(t["service_id"] for t in tasks if t["desired"] == "running")
    view = views.service_view(s, running, desired)
    env = s["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env") or []
    return ServiceDetail(**view, env=env, tasks=tasks)


def raw_service(client: ReadClient, ref: str) -> dict[str, Any]:
    """The engine's inspect answer for the service ``ref`` (name or ID), as it stored it."""
    answer: dict[str, Any] = manager_read(client, f"service {ref}", partial(client.api.inspect_service, ref))
    return answer


def inspect(client: docker.DockerClient, refs: list[str]) -> list[dict[str, Any]]:
    """`docker service inspect`: the engine's answer for each of ``refs``, with the defaults
    it applies filled in, as the docker CLI asks for it."""
    found = []
    for ref in refs:
        ask = partial(client.api.inspect_service, ref, insert_defaults=True)
        found.append(manager_read(client, f"service {ref}", ask))
    return found


def create(client: docker.DockerClient, body: dict[str, Any], check: Check) -> ServiceDetail:
    """Create the service ``body`` (from ``views.service_request``) once ``check`` allows it."""
    require_manager(client)
    check(body)
    for attachment in body["TaskTemplate"].get("Networks") or []:
        # Engine 20.10 answers a missing network with a 500: ask first, for a plain 404.
        with doing(f"network {attachment['Target']}"):
            client.api.inspect_network(attachment["Target"])
    with doing(f"creating service {body['Name']}"):
        created = typed_api(client).create_service(
            body["TaskTemplate"],
            name=body["Name"],
            labels=body["Labels"],
            mode=body["Mode"],
            endpoint_spec=body["EndpointSpec"],
        )
    return get_service(client, created["ID"])


def service_model(client: docker.DockerClient, ref: str) -> Service:
    """The SDK's model of the service ``ref`` (its stored spec and version), on a manager."""
    require_manager(client)
    with doing(f"service {ref}"):
        return sdk_service_model(client, ref)


def post_spec(
    client: docker.DockerClient, service: Service, spec: dict[str, Any], rollback: bool = False
) -> None:
    """POST /services/{id}/update with ``spec`` as it is (the SDK's ``update_service`` would
    rebuild it, or fill in defaults): the update the docker CLI sends."""
    api: Any = client.api  # the private helpers below are the SDK's own way to call
    params: dict[str, Any] = {"version": service.version}
    if rollback:
        params["rollback"] = "previous"
    verb = "rolling back" if rollback else "updating"
    with doing(f"{verb} {service.name}"):
        answer = api._post_json(
            api._url(engine_path("/services/{}/update", str(service.id))), data=spec, params=params
        )
        api._raise_for_status(answer)


def scale(client: docker.DockerClient, ref: str, replicas: int) -> ServiceDetail:
    """Only the replica count changes: the tasks running keep running (no policy check)."""
    service = service_model(client, ref)
    if "Replicated" not in service.attrs["Spec"].get("Mode", {}):
        raise Refused(f"service {service.name} is global: it runs one task per node and does not scale")
    post_spec(client, service, changed_spec(service.attrs["Spec"], ServiceChanges(replicas=replicas)))
    return get_service(client, str(service.id))


def update(
    client: docker.DockerClient, ref: str, changes: ServiceChanges, check: Check = owner
) -> ServiceDetail:
    """`docker service update`: the service's stored spec with ``changes`` applied, once
    ``check`` allows the spec it will have."""
    service = service_model(client, ref)
    spec = changed_spec(service.attrs["Spec"], changes)
    check(spec)
    post_spec(client, service, spec)
    return get_service(client, str(service.id))


def image_update(client: docker.DockerClient, ref: str, image: str) -> tuple[Service, dict[str, Any]]:
    """The service, and the spec it will have once its image is ``image`` (all else kept)."""
    service = service_model(client, ref)
    return service, changed_spec(service.attrs["Spec"], ServiceChanges(image=image))


def update_image(
    client: docker.DockerClient, service: Service, spec: dict[str, Any], check: Check
) -> ServiceDetail:
    """A rolling update of ``service`` to ``spec`` (from ``image_update``) once ``check``
    allows the spec the service will have."""
    check(spec)
    post_spec(client, service, spec)
    return get_service(client, str(service.id))


def rollback_target(client: docker.DockerClient, ref: str) -> tuple[Service, dict[str, Any]]:
    """The service, and the spec a rollback returns it to (its previous one)."""
    service = service_model(client, ref)
    if not service.attrs.get("PreviousSpec"):
        raise Refused(f"service {service.name} has no previous spec to roll back to")
    return service, service.attrs["PreviousSpec"]


def rollback(client: docker.DockerClient, service: Service, check: Check) -> ServiceDetail:
    """`docker service rollback`: back to the spec before the last update, once ``check``
    allows that spec."""
    check(service.attrs["PreviousSpec"])
    post_spec(client, service, service.attrs["Spec"], rollback=True)
    return get_service(client, str(service.id))


def _current(task: dict[str, Any], template: dict[str, Any]) -> bool:
    """The task runs the template's container (the engine leaves defaults out of a task's spec,
    so only what an update changes is compared)."""
    ours, theirs = task["Spec"].get("ContainerSpec") or {}, template.get("ContainerSpec") or {}
    same = all(ours.get(k) == theirs.get(k) for k in ("Image", "Command", "Args", "Env"))
    return same and task["Spec"].get("ForceUpdate", 0) == template.get("ForceUpdate", 0)


def _converged(service: dict[str, Any], tasks: list[dict[str, Any]]) -> bool:
    """Every task meant to run runs the current container, as many as wanted."""
    spec = service["Spec"]
    if (service.get("UpdateStatus") or {}).get("State") in _CONVERGING:
        return False
    meant = [t for t in tasks if t.get("DesiredState") == "running"]
    if any(t["Status"]["State"] != "running" or not _current(t, spec["TaskTemplate"]) for t in meant):
        return False
    if "Replicated" in spec.get("Mode", {}):
        return bool(len(meant) == spec["Mode"]["Replicated"].get("Replicas", 0))
    return True


def converge(client: docker.DockerClient, ref: str, timeout: float = 120.0) -> None:
    """Wait until the service runs what its spec says (the docker CLI's wait unless
    ``--detach``); an update the swarm paused, or the time running out, is refused."""
    deadline = time.monotonic() + timeout
    while True:
        service = raw_service(client, ref)
        update_status = service.get("UpdateStatus") or {}
        if update_status.get("State") in _STUCK:
            raise Refused(
                f"service {service['Spec']['Name']}: update paused: {update_status.get('Message', '')}"
            )
        if _converged(service, raw_tasks(client, {"service": service["ID"]})):
            return
        if time.monotonic() > deadline:
            raise Refused(f"service {service['Spec']['Name']} did not converge within {timeout:.0f} s")
        time.sleep(0.5)


def remove(client: docker.DockerClient, ref: str) -> None:
    service = service_model(client, ref)
    with doing(f"removing {service.name}"):
        typed_api(client).remove_service(str(service.id))


def remove_each(client: docker.DockerClient, refs: list[str]) -> Iterator[str]:
    """`docker service rm A B C`: each ref as it goes; one that fails does not stop the
    others, and their refusals are raised together at the end (an unreachable engine at once)."""
    failed: list[str] = []
    for ref in refs:
        try:
            remove(client, ref)
        except EngineUnreachable:
            raise
        except (EngineError, SwarmError) as exc:
            failed.append(str(exc))
            continue
        yield ref
    if failed:
        raise Refused("\n".join(failed))
