"""Networks and volumes on the chosen endpoint: list (with the containers using each),
create (non-admins within the workload policy), inspect, remove; every change audited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from swarmdeck.console import resources as res
from swarmdeck.console.api import models
from swarmdeck.console.context import OPERATE_ON, READ_ON, Target, audited
from swarmdeck.console.params import NetworkRef, VolumeName
from swarmdeck.console.workloads import policy_for

router = APIRouter()


class NetworkIn(BaseModel):
    name: str
    driver: str = "bridge"
    internal: bool = False
    attachable: bool = False
    labels: dict[str, str] = {}


class VolumeIn(BaseModel):
    name: str
    driver: str = "local"
    labels: dict[str, str] = {}


@router.get("/networks", tags=["networks"])
def list_networks(request: Request, t: Target = READ_ON) -> list[models.Network]:
    return [models.Network(**n) for n in res.list_networks(t.client)]


@router.post("/networks", status_code=201, tags=["networks"])
def create_network(request: Request, body: NetworkIn, t: Target = OPERATE_ON) -> models.EngineDocument:
    with audited(request, t.who, "network.create", target=body.name, endpoint=t.endpoint):
        return models.EngineDocument(
            res.create_network(
                t.client,
                body.name,
                policy_for(request, t.who),
                body.driver,
                body.internal,
                body.attachable,
                body.labels,
            )
        )


@router.get("/networks/{ref}", tags=["networks"])
def inspect_network(request: Request, ref: NetworkRef, t: Target = READ_ON) -> models.EngineDocument:
    return models.EngineDocument(res.inspect_network(t.client, ref))


@router.delete("/networks/{ref}", tags=["networks"])
def remove_network(request: Request, ref: NetworkRef, t: Target = OPERATE_ON) -> models.Status:
    with audited(request, t.who, "network.remove", target=ref, endpoint=t.endpoint):
        res.remove_network(t.client, ref)
    return models.Status(status="removed")


@router.get("/volumes", tags=["volumes"])
def list_volumes(request: Request, t: Target = READ_ON) -> list[models.Volume]:
    return [models.Volume(**v) for v in res.list_volumes(t.client)]


@router.post("/volumes", status_code=201, tags=["volumes"])
def create_volume(request: Request, body: VolumeIn, t: Target = OPERATE_ON) -> models.EngineDocument:
    with audited(request, t.who, "volume.create", target=body.name, endpoint=t.endpoint):
        return models.EngineDocument(
            res.create_volume(t.client, body.name, policy_for(request, t.who), body.driver, body.labels)
        )


@router.get("/volumes/{name}", tags=["volumes"])
def inspect_volume(request: Request, name: VolumeName, t: Target = READ_ON) -> models.EngineDocument:
    return models.EngineDocument(res.inspect_volume(t.client, name))


@router.delete("/volumes/{name}", tags=["volumes"])
def remove_volume(
    request: Request, name: VolumeName, t: Target = OPERATE_ON, force: bool = False
) -> models.Status:
    with audited(request, t.who, "volume.remove", target=name, endpoint=t.endpoint):
        res.remove_volume(t.client, name, force)
    return models.Status(status="removed")
