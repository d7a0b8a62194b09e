"""Deploying a stack from compose text (the console's editor), with swarmdeck's own engine.

The text is interpolated only with the variables sent along, never with the console's own
environment (which would leak its secrets into services). Secrets and configs read from a
``file:`` are refused: the file would be read on the console's host, not the user's.
Refusals of the compose file come back as 422 with every problem's line and column, so the
editor can show them where they are; nothing reaches the engine then.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from swarmdeck.compose import ComposeError, Problem, load
from swarmdeck.compose.stack import DeployOptions, deploy
from swarmdeck.console.context import OPERATE, audit, audited, console
from swarmdeck.console.security import Principal

router = APIRouter(prefix="/api")
EDITOR_FILE = "docker-compose.yml"


class StackDeployIn(BaseModel):
    compose: str = Field(min_length=1, max_length=1_000_000, description="The compose file's text.")
    env: dict[str, str] = Field(default={}, description="Variables for interpolation.")
    prune: bool = False
    plan: bool = Field(default=False, description="Only say what would change.")


def _problem(p: Problem) -> dict[str, Any]:
    return {"line": p.line, "column": p.column, "path": p.path, "message": p.message}


def _file_objects(loaded: Any) -> list[Problem]:
    project = loaded.project
    return [Problem(f"{kind}.{key}: `file:` is read on the console's host; create the {kind[:-1]} "
                    "first and declare it external", file=EDITOR_FILE, path=f"{kind}.{key}")
            for kind in ("secrets", "configs")
            for key, obj in getattr(project, kind).items() if getattr(obj, "file", None)]


@router.post("/stacks/{name}/deploy", tags=["stacks"])
def deploy_stack(request: Request,
                 name: Annotated[str, Path(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")],
                 body: StackDeployIn, who: Principal = OPERATE) -> Any:
    """Deploy or update stack NAME from compose text, like `docker stack deploy`; or, with
    ``plan``, only say what would be created, updated and removed."""
    action = "stack.plan" if body.plan else "stack.deploy"
    try:
        loaded = load([(EDITOR_FILE, body.compose)], env=body.env)
        refused = _file_objects(loaded)
        if refused:
            raise ComposeError(refused)
    except ComposeError as exc:
        audit(request, who, action, f"error: {exc}", name)
        return JSONResponse({"detail": str(exc), "problems": [_problem(p) for p in exc.problems]},
                            status_code=422)
    output: list[str] = []
    with audited(request, who, action, target=name):
        report = deploy(console(request).engine(), loaded,
                        DeployOptions(namespace=name, prune=body.prune, plan_only=body.plan),
                        out=output.append, err=output.append)
    return {"stack": name, "plan": report.plan.lines(), "created": report.created,
            "updated": report.updated, "unchanged": report.unchanged,
            "warnings": loaded.warnings, "output": output}
