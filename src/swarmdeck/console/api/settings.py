"""The console's settings (admins only): what non-admins' workloads may reach on the hosts
(the host paths they may bind under), and directory (LDAP) login with a test of a login.
The page ``/settings`` shows and edits the same."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.context import ADMIN, audited
from swarmdeck.console.directory import app_directory, look_up
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import Principal
from swarmdeck.console.workloads import settings_of
from swarmdeck.engine.policy import ENGINE_PATHS
from swarmdeck.store.directory import (
    DEFAULT_GROUP_FILTER,
    DEFAULT_USER_FILTER,
    MAX_MAPPINGS,
    DirectorySettings,
    Mapping,
)
from swarmdeck.store.roles import Role
from swarmdeck.store.workloads import MAX_PATH_LENGTH, MAX_PATHS

router = APIRouter(tags=["settings"])


# --- settings -------------------------------------------------------------------------
class WorkloadSettingsIn(BaseModel):
    allowed_host_paths: list[str] = Field(
        max_length=MAX_PATHS,
        description=(
            "host directories under which non-admins may bind (absolute paths, normalised; "
            "the engine's socket and state directories are never allowed)"
        ),
    )


def _settings(paths: list[str]) -> models.WorkloadSettings:
    return models.WorkloadSettings(
        allowed_host_paths=paths,
        never_allowed=list(ENGINE_PATHS),
        note="symlinks are not resolved: allow directories non-admins cannot plant links in",
    )


@router.get("/settings/workloads")
def get_workload_settings(request: Request, _: Principal = ADMIN) -> models.WorkloadSettings:
    """What non-admins' workloads may reach: the host paths they may bind under."""
    return _settings(settings_of(request.app).allowed_host_paths())


@router.put("/settings/workloads")
def put_workload_settings(
    request: Request, body: WorkloadSettingsIn, who: Principal = ADMIN
) -> models.WorkloadSettings:
    """Replace the host paths non-admins may bind under (an empty list allows none)."""
    if any(len(p) > MAX_PATH_LENGTH for p in body.allowed_host_paths):
        raise ConsoleError(f"a host path is at most {MAX_PATH_LENGTH} characters")
    target = "allowed host paths: " + (", ".join(body.allowed_host_paths) or "none")
    with audited(request, who, "settings.workloads", target=target, endpoint=""):
        return _settings(settings_of(request.app).set_allowed_host_paths(body.allowed_host_paths))


# --- directory (LDAP) login ------------------------------------------------------------
class DirectoryMappingIn(BaseModel):
    group: str = Field(min_length=1, max_length=500, description="a group's DN")
    role: Role
    teams: list[str] = Field(default_factory=list, max_length=50)


class DirectorySettingsIn(BaseModel):
    url: str = Field(
        "", max_length=300, description="ldap://host:port or ldaps://…; empty turns directory login off"
    )
    bind_dn: str = Field("", max_length=500, description="the DN the console binds with to search")
    bind_password: str | None = Field(
        None, max_length=500, description="its password; absent keeps the stored one, empty removes it"
    )
    user_base: str = Field("", max_length=500)
    user_filter: str = Field(DEFAULT_USER_FILTER, max_length=500)
    group_base: str = Field("", max_length=500)
    group_filter: str = Field(DEFAULT_GROUP_FILTER, max_length=500)
    mappings: list[DirectoryMappingIn] = Field(default_factory=list, max_length=MAX_MAPPINGS)


class DirectoryLoginTest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1000)


def _directory(s: DirectorySettings) -> models.DirectorySettings:
    return models.DirectorySettings(
        url=s.url,
        bind_dn=s.bind_dn,
        has_bind_password=s.has_bind_password,
        user_base=s.user_base,
        user_filter=s.user_filter,
        group_base=s.group_base,
        group_filter=s.group_filter,
        mappings=[
            models.DirectoryMapping(group=m.group, role=m.role.value, teams=list(m.teams)) for m in s.mappings
        ],
    )


@router.get("/settings/directory")
def get_directory_settings(request: Request, _: Principal = ADMIN) -> models.DirectorySettings:
    """Directory (LDAP) login: where the directory is, how users and groups are found, and
    which groups give which role and teams (the bind password is never shown)."""
    return _directory(app_directory(request.app).settings())


@router.put("/settings/directory")
def put_directory_settings(
    request: Request, body: DirectorySettingsIn, who: Principal = ADMIN
) -> models.DirectorySettings:
    """Replace the directory login settings (an empty URL turns directory login off)."""
    new = DirectorySettings(
        url=body.url.strip(),
        bind_dn=body.bind_dn.strip(),
        user_base=body.user_base.strip(),
        user_filter=body.user_filter.strip(),
        group_base=body.group_base.strip(),
        group_filter=body.group_filter.strip(),
        mappings=tuple(Mapping(m.group.strip(), m.role, tuple(m.teams)) for m in body.mappings),
    )
    with audited(request, who, "settings.directory", target=new.url or "off", endpoint=""):
        return _directory(app_directory(request.app).save(new, body.bind_password))


@router.post("/settings/directory/test")
def test_directory_login(
    request: Request, body: DirectoryLoginTest, who: Principal = ADMIN
) -> models.DirectoryLoginResult:
    """Try a login against the directory with the saved settings, without logging in: the
    user's DN, groups and the role and teams they would get, or why they would be refused."""
    directory = app_directory(request.app)
    with audited(request, who, "settings.directory.test", target=body.username, endpoint=""):
        found = look_up(directory.settings(), directory.bind_password(), body.username, body.password)
    return models.DirectoryLoginResult(
        dn=found.dn,
        groups=list(found.groups),
        role=found.role.value,
        teams=list(found.teams),
        summary=found.summary,
    )
