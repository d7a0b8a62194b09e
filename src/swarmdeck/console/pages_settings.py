"""The admins' settings page: the host paths non-admins' workloads may bind under (the
workload policy, ``swarmdeck.engine.policy``; changes go through PUT /api/settings/workloads),
directory (LDAP) login with a test of a login (``/api/settings/directory``), and the download
of a backup of the console's state (``swarmdeck.store.backup``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.background import BackgroundTask

from swarmdeck.console.context import ADMIN, audited
from swarmdeck.console.directory import app_directory
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.pages import render
from swarmdeck.console.security import Principal
from swarmdeck.console.workloads import settings_of
from swarmdeck.engine.policy import ENGINE_PATHS
from swarmdeck.store.backup import write_backup

router = APIRouter(include_in_schema=False)


@router.get("/settings")
def settings_page(request: Request, who: Principal = ADMIN) -> HTMLResponse:
    store = request.app.state.console.store
    directory = app_directory(request.app).settings()
    return render(
        "settings.html",
        who,
        allowed_host_paths=settings_of(request.app).allowed_host_paths(),
        never_allowed=ENGINE_PATHS,
        backup_possible=store.engine.dialect.name == "sqlite",
        directory=directory,
        mappings_json=json.dumps(
            [{"group": m.group, "role": m.role.value, "teams": list(m.teams)} for m in directory.mappings],
            indent=2,
        ),
    )


@router.get("/settings/backup")
def download_backup(request: Request, who: Principal = ADMIN) -> FileResponse:
    """The console's state (database, keys, settings) as a gzipped tar, written to a private
    temporary file and removed once sent; audited, since it holds every secret."""
    store = request.app.state.console.store
    if store.engine.dialect.name != "sqlite":
        raise ConsoleError(
            "the console keeps its state in an external database: back that up with its own "
            "tools (pg_dump); this backup covers a data directory's SQLite database",
            status=409,
        )
    name = f"swarmdeck-backup-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.tar.gz"
    fd, path = tempfile.mkstemp(prefix="swarmdeck-backup-", suffix=".tar.gz")  # mode 0600
    try:
        with audited(request, who, "settings.backup", target=name, endpoint=""), os.fdopen(fd, "wb") as f:
            write_backup(store.data_dir, f)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type="application/gzip",
        filename=name,
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(os.unlink, path),
    )
