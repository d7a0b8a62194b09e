"""The console's settings (admins only): what non-admins' workloads may reach on the hosts
(the host paths they may bind under). The page ``/settings`` shows and edits the same."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.context import ADMIN, audited
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import Principal
from swarmdeck.console.workloads import settings_of
from swarmdeck.engine.policy import ENGINE_PATHS
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
