"""Teams (admins only): their members, and the endpoints their members may see and use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.context import ADMIN, audited, console
from swarmdeck.console.params import EndpointName, TeamName, UserName
from swarmdeck.console.security import Principal
from swarmdeck.store import TeamRecord, Teams

router = APIRouter(tags=["teams"])


class TeamIn(BaseModel):
    name: str = Field(max_length=64)


class MemberIn(BaseModel):
    username: str = Field(max_length=64)


class GrantIn(BaseModel):
    endpoint: str = Field(max_length=64)


def team_model(team: TeamRecord) -> models.Team:
    return models.Team(
        name=team.name,
        members=list(team.members),
        endpoints=list(team.endpoints),
        created_at=team.created_at.isoformat(),
    )


@router.get("/teams")
def list_teams(request: Request, _: Principal = ADMIN) -> list[models.Team]:
    return [team_model(t) for t in Teams(console(request).store).list()]


@router.post("/teams", status_code=201)
def create_team(request: Request, body: TeamIn, who: Principal = ADMIN) -> models.Team:
    with audited(request, who, "team.create", target=body.name, endpoint=""):
        return team_model(Teams(console(request).store).create(body.name))


@router.get("/teams/{name}")
def get_team(request: Request, name: TeamName, _: Principal = ADMIN) -> models.Team:
    return team_model(Teams(console(request).store).get(name))


@router.delete("/teams/{name}")
def delete_team(request: Request, name: TeamName, who: Principal = ADMIN) -> models.Status:
    with audited(request, who, "team.delete", target=name, endpoint=""):
        Teams(console(request).store).delete(name)
    return models.Status(status="deleted")


@router.post("/teams/{name}/members", status_code=201)
def add_team_member(request: Request, name: TeamName, body: MemberIn, who: Principal = ADMIN) -> models.Team:
    with audited(request, who, "team.member.add", target=f"{name}: {body.username}", endpoint=""):
        return team_model(Teams(console(request).store).add_member(name, body.username))


@router.delete("/teams/{name}/members/{username}")
def remove_team_member(
    request: Request, name: TeamName, username: UserName, who: Principal = ADMIN
) -> models.Team:
    with audited(request, who, "team.member.remove", target=f"{name}: {username}", endpoint=""):
        return team_model(Teams(console(request).store).remove_member(name, username))


@router.post("/teams/{name}/endpoints", status_code=201)
def grant_endpoint(request: Request, name: TeamName, body: GrantIn, who: Principal = ADMIN) -> models.Team:
    """Let the team's members see (and, by their role, use) an endpoint."""
    with audited(request, who, "team.grant", target=name, endpoint=body.endpoint):
        return team_model(Teams(console(request).store).grant(name, body.endpoint))


@router.delete("/teams/{name}/endpoints/{endpoint}")
def revoke_endpoint(
    request: Request, name: TeamName, endpoint: EndpointName, who: Principal = ADMIN
) -> models.Team:
    with audited(request, who, "team.revoke", target=name, endpoint=endpoint):
        return team_model(Teams(console(request).store).revoke(name, endpoint))
