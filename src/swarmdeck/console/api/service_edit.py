"""The JSON API of the service spec editor: the plan of an edit, the edit applied, the
rollback's plan.

An edit is one or more sections of the spec (``SpecEditIn``; the page sends one form's
section at a time) in the docker CLI's value syntax. ``POST .../plan`` says what would change
(old -> new per field) and what happens to the tasks, changing nothing; ``POST .../edit``
applies the same edit with the spec's version the plan was made from: a service changed
meanwhile is refused (409) rather than overwritten. Both need an operator on the endpoint
(the plan shows environment values, which a read-only user does not see); the edit is audited
(the service, the fields that change and what the spec mounts) and the spec it leaves must pass
the caller's workload policy. The work is the swarm layer's (``swarm.service_edit``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api.swarm import changing, named, shown_service, workload_check
from swarmdeck.console.context import OPERATE_ON, Target
from swarmdeck.console.params import ServiceRef
from swarmdeck.console.workloads import audit_target, prepare
from swarmdeck.engine.policy import describe_service
from swarmdeck.swarm import service_edit
from swarmdeck.swarm.service_edit import EditPlan
from swarmdeck.swarm.views import ServiceDetail

router = APIRouter(tags=["swarm"])

Line = Annotated[str, Field(max_length=4096)]
Lines = Annotated[list[Line], Field(max_length=500)]
Short = Annotated[str, Field(max_length=64)]


class _Section(BaseModel):
    model_config = {"extra": "forbid"}


class ContainerIn(_Section):
    image: str | None = Field(default=None, max_length=512)
    command: Lines | None = None
    args: Lines | None = None
    env: Lines | None = Field(default=None, description="KEY=VALUE lines")


class ServiceSectionIn(_Section):
    replicas: int | None = Field(default=None, ge=0, le=1000)
    labels: Lines | None = Field(default=None, description="KEY=VALUE lines")


class ResourcesIn(_Section):
    limit_cpu: Short | None = Field(default=None, description="CPUs, e.g. 0.5; empty: none")
    limit_memory: Short | None = Field(default=None, description="bytes with a unit, e.g. 256M; empty: none")
    reserve_cpu: Short | None = None
    reserve_memory: Short | None = None


class RestartIn(_Section):
    condition: Literal["", "none", "on-failure", "any"] | None = None
    delay: Short | None = Field(default=None, description="a duration, e.g. 5s")
    max_attempts: Short | None = None
    window: Short | None = None


class PlacementIn(_Section):
    constraints: Lines | None = Field(default=None, description="e.g. node.role==manager")
    preferences: Lines | None = Field(default=None, description="spread=node.labels.KEY")
    max_replicas: Short | None = Field(default=None, description="tasks per node at most; empty: no limit")


class PortsIn(_Section):
    endpoint_mode: Literal["vip", "dnsrr"] | None = None
    ports: Lines | None = Field(
        default=None, description="[PUBLISHED:]TARGET[/PROTO] or published=,target=,…"
    )


class MountsIn(_Section):
    mounts: Lines | None = Field(default=None, description="type=volume,source=NAME,target=/PATH[,readonly]")


class NetworksIn(_Section):
    networks: Lines | None = Field(default=None, description="swarm network names")


class SecretsIn(_Section):
    secrets: Lines | None = Field(default=None, description="NAME or NAME:TARGET")
    configs: Lines | None = Field(default=None, description="NAME or NAME:TARGET")


class RolloutIn(_Section):
    parallelism: Short | None = None
    delay: Short | None = None
    failure_action: Literal["", "pause", "continue", "rollback"] | None = None
    monitor: Short | None = None
    max_failure_ratio: Short | None = None
    order: Literal["", "stop-first", "start-first"] | None = None


class HealthcheckIn(_Section):
    test: Line | None = Field(default=None, description="a shell command; NONE disables; empty: the image's")
    interval: Short | None = None
    timeout: Short | None = None
    retries: Short | None = None
    start_period: Short | None = None


class SpecEditIn(_Section):
    """The sections of the spec to change; in each, the fields left out keep their value."""

    container: ContainerIn | None = None
    service: ServiceSectionIn | None = None
    resources: ResourcesIn | None = None
    restart: RestartIn | None = None
    placement: PlacementIn | None = None
    ports: PortsIn | None = None
    mounts: MountsIn | None = None
    networks: NetworksIn | None = None
    secrets: SecretsIn | None = None
    update: RolloutIn | None = None
    rollback: RolloutIn | None = None
    healthcheck: HealthcheckIn | None = None

    def sections(self) -> dict[str, dict[str, Any]]:
        return {
            name: section.model_dump(exclude_none=True)
            for name, section in ((n, getattr(self, n)) for n in SpecEditIn.model_fields)
            if section is not None
        }


class SpecApplyIn(SpecEditIn):
    version: int = Field(ge=0, le=2**63 - 1, description="the spec's version the plan was made from")


@router.post("/services/{ref}/plan")
def plan_service_edit(
    request: Request, ref: ServiceRef, body: SpecEditIn, t: Target = OPERATE_ON
) -> EditPlan:
    """What the edit would change (per field, old -> new) and whether tasks restart; nothing
    is sent to the engine."""
    return named(t, service_edit.plan_edit, ref, body.sections())


@router.post("/services/{ref}/edit")
def apply_service_edit(
    request: Request, ref: ServiceRef, body: SpecApplyIn, t: Target = OPERATE_ON
) -> ServiceDetail:
    """Apply the edit if the service's spec is still at ``version``; 409 if it changed meanwhile."""
    edit = body.sections()
    found, spec = prepare(request, t, "service.edit", ref, lambda: named(t, service_edit.preview, ref, edit))
    fields = ", ".join(c["field"] for c in found["changes"]) or "nothing"
    target = audit_target(f"{ref} at version {body.version}: {fields}", describe_service(spec))
    with changing(request, t, "service.edit", target=target) as client:
        check = workload_check(request, t, what=f"service {ref} after the edit would have")
        return shown_service(service_edit.apply_edit(client, ref, body.version, edit, check), t.who)
