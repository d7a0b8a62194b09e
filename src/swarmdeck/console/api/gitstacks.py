"""Stacks from Git at the API: set one up (its first deploy comes with it), list them,
redeploy one now, forget one (the stack itself stays), and the webhook.

Setting up, redeploying and forgetting are an operator's, audited like every change (a
redeploy's deploy is audited by the deploy path itself, with the commit). The token is
write-only: answers say whether there is one, never what it is, and the audit names the
repository, never the credentials.

The webhook (POST /api/hooks/git/{secret}) needs no session: its secret URL is the
credential (shown to operators only). An unknown secret is a 404 (audited, nothing runs); a
known one starts the redeploy in the background and answers 202, or 409 while the stack's
previous redeploy runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from swarmdeck.console import gitrepo
from swarmdeck.console.context import OPERATE_ON, READ_ON, Target, audit, audited, client_address
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.gitstacks import HOOK_PREFIX, git_stacks_of, redeploy, redeploy_in_background
from swarmdeck.console.params import StackName
from swarmdeck.console.stackdeploy import ComposeError
from swarmdeck.store import Role
from swarmdeck.store.gitstacks import MAX_INTERVAL, MIN_INTERVAL, GitStackRecord

router = APIRouter(tags=["stacks"])
HookSecret = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{20,100}$", description="the webhook's secret, from its URL")
]


class GitStackIn(BaseModel):
    stack: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$", description="the stack's name")
    url: str = Field(min_length=1, max_length=gitrepo.MAX_URL, description="https://, http:// or git://")
    ref: str = Field(default="main", min_length=1, max_length=gitrepo.MAX_REF, description="a branch or tag")
    path: str = Field(
        default="docker-compose.yml",
        min_length=1,
        max_length=gitrepo.MAX_PATH,
        description="the compose file, relative to the repository's top",
    )
    username: str = Field(default="", max_length=200, description="for a private repository")
    token: str = Field(default="", max_length=2000, description="a password or token (kept encrypted)")
    interval_minutes: int | None = Field(
        default=None, ge=MIN_INTERVAL, le=MAX_INTERVAL, description="look for new commits this often"
    )


class GitStackOut(BaseModel):
    stack: str
    url: str
    ref: str
    path: str
    username: str
    has_token: bool
    interval_minutes: int | None
    owner: str
    last_commit: str
    last_result: str
    last_at: datetime | None
    webhook: str | None = Field(description="the webhook's path (operators and admins only)")


class GitRedeployOut(BaseModel):
    stack: str
    commit: str
    deployed: bool = Field(description="false when the commit was deployed already")
    version: int | None
    result: str


def hook_path(request: Request, record: GitStackRecord) -> str:
    return HOOK_PREFIX + git_stacks_of(request.app).hook_secret(record)


def git_stack_out(request: Request, record: GitStackRecord, operator: bool) -> GitStackOut:
    return GitStackOut(
        stack=record.stack,
        url=record.url,
        ref=record.ref,
        path=record.path,
        username=record.git_username,
        has_token=record.has_token,
        interval_minutes=record.interval_minutes,
        owner=record.owner,
        last_commit=record.last_commit,
        last_result=record.last_result,
        last_at=record.last_at,
        webhook=hook_path(request, record) if operator else None,
    )


def _redeploy(request: Request, record: GitStackRecord, why: str) -> GitRedeployOut:
    try:
        done = redeploy(request.app, record, why, client_address(request))
    except ComposeError as exc:
        raise ConsoleError(f"{record.path} in {record.url} ({record.ref}) is refused: {exc}", 422) from None
    return GitRedeployOut(
        stack=record.stack,
        commit=done.commit,
        deployed=done.deployed,
        version=done.version,
        result=done.result,
    )


@router.get("/gitstacks")
def list_git_stacks(request: Request, t: Target = READ_ON) -> list[GitStackOut]:
    """The stacks deployed from Git on this endpoint."""
    operator = t.who.role.allows(Role.OPERATOR)
    return [git_stack_out(request, r, operator) for r in git_stacks_of(request.app).list(t.endpoint)]


@router.post("/gitstacks", status_code=201)
def add_git_stack(request: Request, body: GitStackIn, t: Target = OPERATE_ON) -> GitRedeployOut:
    """Deploy stack ``stack`` from a file in a Git repository, and keep redeploying it from
    there (a button, ``interval_minutes``, the webhook). Nothing is kept when the first
    deploy fails."""
    target = f"{body.stack}; {body.url} {body.ref}:{body.path}"
    with audited(request, t.who, "gitstack.add", target=target, endpoint=t.endpoint):
        gitrepo.check_url(body.url), gitrepo.check_ref(body.ref), gitrepo.check_path(body.path)
        stacks = git_stacks_of(request.app)
        record = stacks.add(
            t.endpoint,
            body.stack,
            body.url,
            body.ref,
            body.path,
            body.username,
            body.token,
            body.interval_minutes,
            t.who.user.username,
        )
        try:
            return _redeploy(request, record, f"set up by {t.who.user.username}")
        except BaseException:
            stacks.remove(t.endpoint, body.stack)
            raise


@router.post("/gitstacks/{name}/redeploy")
def redeploy_git_stack(request: Request, name: StackName, t: Target = OPERATE_ON) -> GitRedeployOut:
    """Fetch stack NAME's file from its repository now and deploy it (even an unchanged commit)."""
    record = git_stacks_of(request.app).get(t.endpoint, name)
    return _redeploy(request, record, f"redeploy by {t.who.user.username}")


@router.delete("/gitstacks/{name}")
def remove_git_stack(request: Request, name: StackName, t: Target = OPERATE_ON) -> GitStackOut:
    """Stop deploying stack NAME from Git (the stack and its history stay)."""
    stacks = git_stacks_of(request.app)
    with audited(request, t.who, "gitstack.remove", target=name, endpoint=t.endpoint):
        record = stacks.get(t.endpoint, name)
        stacks.remove(t.endpoint, name)
    return git_stack_out(request, record, False)


@router.post("/hooks/git/{secret}", status_code=202)
def git_webhook(request: Request, secret: HookSecret) -> GitStackOut:
    """Redeploy the Git stack whose webhook this is (no session: the URL is the secret)."""
    record = git_stacks_of(request.app).by_hook(secret)
    if record is None:
        audit(request, None, "gitstack.webhook", "denied: unknown webhook", endpoint="")
        raise ConsoleError("there is no such webhook", 404)
    with audited(request, None, "gitstack.webhook", target=record.stack, endpoint=record.endpoint):
        redeploy_in_background(request.app, record, "webhook", client_address(request))
    return git_stack_out(request, record, False)
