"""Editing a service's whole spec on the engine: the forms' values, the plan of an edit, the
edit applied at the version it was planned on, and the plan of a rollback.

The forms and the diff are pure (``service_form``, ``service_plan``); here are the engine's
parts: the stored spec and its version, the names of networks, secrets and configs turned into
IDs (an unknown one is refused naming the field, before anything is sent), and the update
posted with the version the caller saw, so that a change made meanwhile by anyone is refused
(409, "changed meanwhile") instead of being overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import docker
from typing_extensions import TypedDict

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound, EngineRefused
from swarmdeck.swarm import services
from swarmdeck.swarm.errors import InvalidAction, Refused
from swarmdeck.swarm.membership import manager_read
from swarmdeck.swarm.service_form import SECTIONS, Values, edited_spec, form_values
from swarmdeck.swarm.service_plan import Plan, plan
from swarmdeck.swarm.views import ServiceDetail

Edit = Mapping[str, Mapping[str, Any]]


class EditForm(TypedDict):
    """What the edit forms show: the spec's version and each section's values."""

    id: str
    name: str
    version: int
    sections: dict[str, Values]
    rollback: Plan | None  # what a rollback to the previous spec changes, if there is one


class EditPlan(Plan):
    """The plan of an edit, and the version of the spec it was made from."""

    version: int


def _network_names(client: docker.DockerClient) -> dict[str, str]:
    found = manager_read(client, "networks", partial(client.api.networks))
    return {n["Id"]: n["Name"] for n in found}


def _lookup(client: docker.DockerClient) -> Callable[[str, str], tuple[str, str]]:
    """The ID and name of a network, secret or config named by the caller; unknown ones are
    refused (InvalidAction) saying which."""
    inspect: dict[str, Callable[[str], dict[str, Any]]] = {
        "network": client.api.inspect_network,
        "secret": client.api.inspect_secret,
        "config": client.api.inspect_config,
    }

    def lookup(kind: str, name: str) -> tuple[str, str]:
        try:
            with doing(f"{kind} {name}"):
                found = inspect[kind](name)
        except EngineNotFound:
            raise InvalidAction(f"no {kind} {name!r} on this swarm") from None
        if kind == "network":
            if found.get("Scope") != "swarm":
                raise InvalidAction(f"network {name!r} is not a swarm network (scope {found.get('Scope')})")
            return found["Id"], found["Name"]
        return found["ID"], found["Spec"]["Name"]

    return lookup


def edit_form(client: docker.DockerClient, ref: str) -> EditForm:
    """The service's spec as the edit forms show it."""
    stored = services.raw_service(client, ref)
    previous = stored.get("PreviousSpec")
    return EditForm(
        id=stored["ID"],
        name=stored["Spec"]["Name"],
        version=int(stored["Version"]["Index"]),
        sections=form_values(stored["Spec"], _network_names(client)),
        rollback=plan(stored["Spec"], previous) if previous else None,
    )


def _edited(client: docker.DockerClient, stored: dict[str, Any], edit: Edit) -> dict[str, Any]:
    if not edit:
        raise InvalidAction(f"nothing to change: send one or more of the sections {', '.join(SECTIONS)}")
    return edited_spec(stored["Spec"], edit, _lookup(client), _network_names(client))


def preview(client: docker.DockerClient, ref: str, edit: Edit) -> tuple[EditPlan, dict[str, Any]]:
    """What ``edit`` would change in the service ``ref``'s spec, and its tasks, with the spec
    it would have; nothing sent."""
    stored = services.raw_service(client, ref)
    spec = _edited(client, stored, edit)
    return EditPlan(**plan(stored["Spec"], spec), version=int(stored["Version"]["Index"])), spec


def plan_edit(client: docker.DockerClient, ref: str, edit: Edit) -> EditPlan:
    """``preview``'s plan."""
    return preview(client, ref, edit)[0]


def _changed_meanwhile(name: str, version: int, now: int) -> Refused:
    return Refused(
        f"service {name} changed meanwhile (planned on version {version}, it is now at {now}): "
        "reload the page to see its spec, then edit again"
    )


def apply_edit(
    client: docker.DockerClient, ref: str, version: int, edit: Edit, check: services.Check
) -> ServiceDetail:
    """Update the service ``ref`` with ``edit`` if its spec is still at ``version`` (the one the
    plan was made from), once ``check`` allows the spec it will have."""
    service = services.service_model(client, ref)
    stored = service.attrs
    now = int(stored["Version"]["Index"])
    if now != version:
        raise _changed_meanwhile(service.name or ref, version, now)
    spec = _edited(client, stored, edit)
    if not plan(stored["Spec"], spec)["changes"]:
        raise InvalidAction("nothing changes: the values are those the service has")
    check(spec)
    try:
        services.post_spec(client, service, spec)
    except EngineRefused as exc:
        if "out of sequence" in str(exc):  # changed between our read and the engine's
            raise _changed_meanwhile(service.name or ref, version, now + 1) from None
        raise
    return services.get_service(client, str(service.id))
