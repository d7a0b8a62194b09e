"""A swarm's services and tasks: list, inspect, create, scale, update the image, roll back,
remove, read logs (`docker service ls|ps|create|scale|update|rollback|rm|logs`).

A change that makes or alters a workload takes ``check``: the caller's workload policy as a
function of the spec the service will have, which raises to refuse it (the console's
``workloads``); it runs before anything is sent, and scaling (which changes no workload)
has none. Environment values come back as the engine has them: masking is the edge's job.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

import docker
from docker.models.services import Service

from swarmdeck.engine.errormap import doing, iterating
from swarmdeck.engine.names import path as engine_path
from swarmdeck.swarm import views
from swarmdeck.swarm.errors import Refused
from swarmdeck.swarm.membership import manager_read, require_manager
from swarmdeck.swarm.nodes import RUNNING, raw_nodes, raw_services, raw_tasks, service_names
from swarmdeck.swarm.views import ServiceDetail, ServiceView, TaskView

Check = Callable[[dict[str, Any]], None]


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
    s = manager_read(client, f"service {ref}", lambda: client.api.inspect_service(ref))
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


def create(client: docker.DockerClient, body: dict[str, Any], check: Check) -> ServiceDetail:
    """Create the service ``body`` (from ``views.service_request``) once ``check`` allows it."""
    require_manager(client)
    check(body)
    for attachment in body["TaskTemplate"].get("Networks") or []:
        # Engine 20.10 answers a missing network with a 500: ask first, for a plain 404.
        with doing(f"network {attachment['Target']}"):
            client.api.inspect_network(attachment["Target"])
    with doing(f"creating service {body['Name']}"):
        created = client.api.create_service(
            body["TaskTemplate"],
            name=body["Name"],
            labels=body["Labels"],
            mode=body["Mode"],
            endpoint_spec=body["EndpointSpec"],
        )
    return get_service(client, created["ID"])


def _service(client: docker.DockerClient, ref: str) -> Service:
    require_manager(client)
    with doing(f"service {ref}"):
        return client.services.get(ref)


def scale(client: docker.DockerClient, ref: str, replicas: int) -> ServiceDetail:
    """Only the replica count changes: the workload stays what it was (no policy check)."""
    service = _service(client, ref)
    if "Replicated" not in service.attrs["Spec"].get("Mode", {}):
        raise Refused(f"service {service.name} is global: it runs one task per node and does not scale")
    with doing(f"scaling {service.name}"):
        service.scale(replicas)
    return get_service(client, str(service.id))


def image_update(client: docker.DockerClient, ref: str, image: str) -> tuple[Service, dict[str, Any]]:
    """The service, and the spec it will have once its image is ``image`` (all else kept)."""
    service = _service(client, ref)
    spec = copy.deepcopy(service.attrs["Spec"])
    spec["TaskTemplate"]["ContainerSpec"]["Image"] = image
    if spec["TaskTemplate"].get("Networks") is None and spec.get("Networks"):
        # the deprecated place: an update moves them into the task template (as the SDK did)
        spec["TaskTemplate"]["Networks"] = spec.pop("Networks")
    return service, spec


def update_image(
    client: docker.DockerClient, service: Service, spec: dict[str, Any], check: Check
) -> ServiceDetail:
    """A rolling update of ``service`` to ``spec`` (from ``image_update``) once ``check``
    allows the spec the service will have."""
    check(spec)
    with doing(f"updating {service.name}"):
        client.api.update_service(
            str(service.id),
            service.version,
            task_template=spec["TaskTemplate"],
            name=spec["Name"],
            labels=spec.get("Labels"),
            mode=spec.get("Mode"),
            update_config=spec.get("UpdateConfig"),
            rollback_config=spec.get("RollbackConfig"),
            endpoint_spec=spec.get("EndpointSpec"),
        )
    return get_service(client, str(service.id))


def rollback_target(client: docker.DockerClient, ref: str) -> tuple[Service, dict[str, Any]]:
    """The service, and the spec a rollback returns it to (its previous one)."""
    service = _service(client, ref)
    if not service.attrs.get("PreviousSpec"):
        raise Refused(f"service {service.name} has no previous spec to roll back to")
    return service, service.attrs["PreviousSpec"]


def rollback(client: docker.DockerClient, service: Service, check: Check) -> ServiceDetail:
    """`docker service rollback`: back to the spec before the last update, once ``check``
    allows that spec."""
    check(service.attrs["PreviousSpec"])
    api: Any = client.api  # the private helpers below are the SDK's own way to call
    # The SDK has no rollback call: POST /services/{id}/update?rollback=previous as the CLI does.
    with doing(f"rolling back {service.name}"):
        answer = api._post_json(
            api._url(engine_path("/services/{}/update", str(service.id))),
            data=service.attrs["Spec"],
            params={"version": service.version, "rollback": "previous"},
        )
        api._raise_for_status(answer)
    return get_service(client, str(service.id))


def remove(client: docker.DockerClient, ref: str) -> None:
    service = _service(client, ref)
    with doing(f"removing {service.name}"):
        service.remove()


def logs(client: docker.DockerClient, ref: str, tail: int) -> list[str]:
    """The last ``tail`` lines of every task's output."""
    service = _service(client, ref)
    action = f"logs of {service.name}"
    with doing(action):
        stream = service.logs(stdout=True, stderr=True, tail=str(tail), details=False, timestamps=False)
    raw = b"".join(iterating(action, stream))
    return raw.decode("utf-8", "replace").splitlines()
