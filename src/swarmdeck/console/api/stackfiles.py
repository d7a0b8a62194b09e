"""A stack's history of compose files deployed from the console (listed, read, diffed) and
the app templates (listed by everyone; admins add and remove their own).

A version is written by ``api.stacks``' deploy when it worked; putting an older one back is
reading it here and deploying its text (the editor plans it first), so that one route
deploys and audits every stack change. Template changes are audited here.

A compose file and its variables hold environment values, which read-only users never see
(``envmask``): they get the list of versions (who deployed which, when), operators and
admins the files and their diffs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.context import ADMIN, OPERATE_ON, READ, READ_ON, Target, audited
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import MAX_INT, StackName, TeamName
from swarmdeck.console.security import Principal
from swarmdeck.console.stackfiles import BUILTIN, BUILTIN_KEYS, files_of, unified_diff, variables
from swarmdeck.store.stackfiles import MAX_COMPOSE, MAX_TITLE, TemplateRecord, VersionRecord

router = APIRouter(tags=["stacks"])
VersionNumber = Annotated[int, Query(ge=1, le=MAX_INT, description="a version's number")]
SomeVersion = Annotated[
    int | None, Query(ge=1, le=MAX_INT, description="a version's number; none: the newest")
]
TemplateKey = TeamName  # the store's name grammar


class StackVersionOut(BaseModel):
    version: int
    username: str
    created_at: datetime
    compose: str | None = Field(default=None, description="the compose text (not in lists)")
    env: dict[str, str] | None = Field(default=None, description="the variables (not in lists)")
    commit: str | None = Field(default=None, description="the Git commit it came from (a Git stack's)")


class StackDiff(BaseModel):
    old: int
    new: int
    diff: str = Field(description="a unified diff, old to new (empty when they are the same)")


class TemplateVariable(BaseModel):
    name: str
    default: str
    required: bool


class AppTemplateOut(BaseModel):
    key: str
    title: str
    description: str
    compose: str
    builtin: bool
    username: str
    variables: list[TemplateVariable]


class AppTemplateIn(BaseModel):
    key: str = Field(
        pattern=r"^[A-Za-z0-9._-]{1,64}$", description="1 to 64 letters, digits, '.', '_' or '-'"
    )
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=2000)
    compose: str = Field(min_length=1, max_length=MAX_COMPOSE)


def _version(v: VersionRecord, full: bool) -> StackVersionOut:
    return StackVersionOut(
        version=v.version,
        username=v.username,
        created_at=v.created_at,
        compose=v.compose if full else None,
        env=v.env if full else None,
        commit=v.commit,
    )


def _template(t: TemplateRecord) -> AppTemplateOut:
    return AppTemplateOut(
        key=t.key,
        title=t.title,
        description=t.description,
        compose=t.compose,
        builtin=t.builtin,
        username=t.username,
        variables=[
            TemplateVariable(name=v.name, default=v.default, required=v.required)
            for v in variables(t.compose)
        ],
    )


@router.get("/stacks/{name}/versions")
def list_versions(request: Request, name: StackName, t: Target = READ_ON) -> list[StackVersionOut]:
    """The versions of stack NAME deployed from the console on this endpoint, newest first."""
    return [_version(v, False) for v in files_of(request.app).versions(t.endpoint, name)]


@router.get("/stacks/{name}/file")
def get_version(
    request: Request, name: StackName, version: SomeVersion = None, t: Target = OPERATE_ON
) -> StackVersionOut:
    """Version ``version`` of stack NAME's compose file and variables (the newest without one)."""
    return _version(files_of(request.app).version(t.endpoint, name, version), True)


@router.get("/stacks/{name}/diff")
def diff_versions(
    request: Request, name: StackName, old: VersionNumber, new: VersionNumber, t: Target = OPERATE_ON
) -> StackDiff:
    """Version ``old`` of stack NAME's compose file to version ``new``, as a unified diff."""
    files = files_of(request.app)
    a, b = files.version(t.endpoint, name, old), files.version(t.endpoint, name, new)
    text = unified_diff(a.compose, b.compose, f"{name} version {old}", f"{name} version {new}")
    return StackDiff(old=old, new=new, diff=text)


@router.get("/templates")
def list_templates(request: Request, _: Principal = READ) -> list[AppTemplateOut]:
    """The app templates: the built-in ones, then the admins' own (by key)."""
    return [_template(t) for t in [*BUILTIN, *files_of(request.app).templates()]]


@router.post("/templates", status_code=201)
def add_template(request: Request, body: AppTemplateIn, who: Principal = ADMIN) -> AppTemplateOut:
    """Add an app template (its ``${VAR}``s become the form's variables)."""
    with audited(request, who, "template.add", target=body.key, endpoint=""):
        if body.key in BUILTIN_KEYS:
            raise ConsoleError(f"{body.key} is a built-in template's key", 409)
        added = files_of(request.app).add_template(
            body.key, body.title, body.description, body.compose, who.user.username
        )
    return _template(added)


@router.delete("/templates/{name}")
def remove_template(request: Request, name: TemplateKey, who: Principal = ADMIN) -> models.Status:
    """Remove an admin's app template (built-in ones stay)."""
    with audited(request, who, "template.remove", target=name, endpoint=""):
        if name in BUILTIN_KEYS:
            raise ConsoleError(f"{name} is a built-in template: it cannot be removed", 409)
        files_of(request.app).remove_template(name)
    return models.Status(status="removed")
