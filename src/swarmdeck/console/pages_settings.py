"""The admins' settings page: the host paths non-admins' workloads may bind under (the
workload policy, ``swarmdeck.engine.policy``). Changes go through PUT /api/settings/workloads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from swarmdeck.console.context import ADMIN
from swarmdeck.console.pages import render
from swarmdeck.console.security import Principal
from swarmdeck.console.workloads import settings_of
from swarmdeck.engine.policy import ENGINE_PATHS

router = APIRouter(include_in_schema=False)


@router.get("/settings")
def settings_page(request: Request, who: Principal = ADMIN) -> HTMLResponse:
    return render(
        "settings.html",
        who,
        allowed_host_paths=settings_of(request.app).allowed_host_paths(),
        never_allowed=ENGINE_PATHS,
    )
