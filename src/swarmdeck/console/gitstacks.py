"""Stacks from Git: a redeploy fetches the compose file (``gitrepo``) and deploys it through
the editor's own path (``stackdeploy``: plan, policy, all or nothing, audited, a version per
commit with its commit id).

A redeploy runs as the Git stack's owner (the operator or admin who set it up), whoever or
whatever asks for it: a button (the user asking must be an operator too), the schedule, or
the webhook. The owner's role and endpoint grants are read at each redeploy, so an owner who
lost them stops the redeploys (each says why in the stack's last result and the log).

One redeploy at a time per stack: a second one asked meanwhile is refused (409), which also
bounds what a webhook caller can make the console do. The slot is the stack's row's lease in
the database (``GitStacks.claim``), so it holds across the replicas of a replicated console.
The schedule is a thread of each console process (``start_schedule``) that looks every
``TICK`` seconds for Git stacks whose interval has passed and redeploys those whose commit
changed; it logs what fails and carries on. With several replicas each schedule looks, and
the slot decides: a stack is looked at by the replica that takes its slot, and is due again
only after that look (read under the slot), so it is redeployed once per interval. A
refusal or failure of a redeploy (a ``SwarmdeckError``) is logged as a warning where it is
caught (``redeploy_logged``); anything else in a background thread reaches the threads' one
catch-all (``_surviving``), which logs it with its traceback and lets the thread carry on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from fastapi import FastAPI, Request

from swarmdeck.console import gitrepo
from swarmdeck.console.context import Console
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import Principal
from swarmdeck.console.stackdeploy import ComposeError, Deployer, deploy_text
from swarmdeck.console.workloads import policy_of_role
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import NotFound, Role
from swarmdeck.store.gitstacks import GitStackRecord, GitStacks, Slot

log = logging.getLogger("swarmdeck.console")
T = TypeVar("T")
TICK = 20.0  # seconds between the schedule's looks
HOOK_PREFIX = "/api/hooks/git/"  # + the secret: the webhook's path
LEASE = timedelta(minutes=15)  # a redeploy slot's lease: a replica that died frees it then


def git_source(request: Request, who: Principal, endpoint: str, stack: str) -> dict[str, Any]:
    """What the stack page shows of a Git stack: ``git`` (None for another stack) and, for
    operators, ``webhook_url`` (its secret: never for read-only users)."""
    stacks = git_stacks_of(request.app)
    record = stacks.find(endpoint, stack)
    url = ""
    if record is not None and who.role.allows(Role.OPERATOR):
        url = str(request.base_url).rstrip("/") + HOOK_PREFIX + stacks.hook_secret(record)
    return {"git": record, "webhook_url": url}


def git_stacks_of(app: FastAPI) -> GitStacks:
    """One per app, made on first use."""
    state = app.state
    if getattr(state, "git_stacks", None) is None:
        state.git_stacks = GitStacks(state.console.store)
    stacks: GitStacks = state.git_stacks
    return stacks


@dataclass(frozen=True)
class Redeployed:
    commit: str
    deployed: bool  # False: the commit was the one deployed already (a scheduled look)
    version: int | None
    result: str


def claim(app: FastAPI, record: GitStackRecord) -> Slot:
    """The stack's one redeploy slot (409 when a redeploy runs, on any replica); ``redeploy``
    gives it back. The slot holds the stack as it is now."""
    try:
        slot = git_stacks_of(app).claim(record, LEASE)
    except NotFound:
        raise ConsoleError(f"stack {record.stack} no longer comes from a Git repository", 404) from None
    if slot is None:
        raise ConsoleError(f"stack {record.stack} is being redeployed already: try again later", 409)
    return slot


def redeploy(
    app: FastAPI,
    record: GitStackRecord,
    why: str,
    client_address: str = "",
    force: bool = True,
    claimed: Slot | None = None,
) -> Redeployed:
    """Fetch the stack's file and deploy it (``force=False``: only if its commit changed).
    ``why`` names who asked, for the audit log ("button by NAME", "webhook", "schedule");
    ``claimed``: the stack's slot (``claim``), when the caller holds it already."""
    slot = claimed or claim(app, record)
    record = slot.record  # as it is now: another replica's redeploy may have ended meanwhile
    stacks = git_stacks_of(app)
    now = datetime.now(UTC)
    deploying = False  # from then on, the deploy path audits its own outcome
    try:
        try:
            fetched = gitrepo.fetch(
                record.url, record.ref, record.path, record.git_username, stacks.token_of(record)
            )
            if not force and fetched.commit == record.last_commit:
                stacks.note(record, f"ok: {fetched.commit[:12]} is deployed already", None, now)
                return Redeployed(fetched.commit, False, None, "unchanged")
            deployer = _deployer(app, record, client_address)
            note = f"from git {record.url} {record.ref}:{record.path} at {fetched.commit[:12]} ({why})"
            deploying = True
            done = deploy_text(deployer, record.stack, fetched.compose, {}, note=note, commit=fetched.commit)
        except SwarmdeckError as exc:
            if not deploying:  # the fetch, or the owner's rights, refused it
                app.state.console.store.audit(
                    record.owner,
                    "stack.deploy",
                    f"error: {exc}",
                    target=f"{record.stack}; from git ({why})",
                    endpoint=record.endpoint,
                    client=client_address,
                )
            stacks.note(record, f"error: {exc}", None, now)
            raise
        result = f"ok: deployed {fetched.commit[:12]} as version {done.version}"
        stacks.note(record, result, fetched.commit, now)
        return Redeployed(fetched.commit, True, done.version, result)
    finally:
        release(app, slot)


def release(app: FastAPI, slot: Slot) -> None:
    """Give back a stack's redeploy slot (``claim``'s)."""
    git_stacks_of(app).release(slot)


def _deployer(app: FastAPI, record: GitStackRecord, client_address: str) -> Deployer:
    """The owner as they are now: still an operator, still granted the endpoint."""
    ctx: Console = app.state.console
    try:
        user = ctx.store.get_user(record.owner)
    except NotFound:
        raise ConsoleError(
            f"the Git stack's owner {record.owner} no longer exists: set it up again", 409
        ) from None
    if not user.role.allows(Role.OPERATOR):
        raise ConsoleError(f"the Git stack's owner {record.owner} is no longer an operator", 403)
    owner = Principal(user=user, via="git")
    client = ctx.client_on(owner, record.endpoint)

    def audit(action: str, result: str, target: str) -> None:
        ctx.store.audit(
            record.owner, action, result, target=target, endpoint=record.endpoint, client=client_address
        )

    return Deployer(app, client, record.endpoint, record.owner, policy_of_role(app, user.role), audit)


def _due(record: GitStackRecord, now: datetime) -> bool:
    if not record.interval_minutes:
        return False
    last = record.last_at or record.created_at
    return now - last >= timedelta(minutes=record.interval_minutes)


def run_schedule_once(app: FastAPI) -> int:
    """Redeploy each Git stack whose interval passed (when its commit changed); the number
    looked at. A refused or failed redeploy is logged (and kept as the stack's last result)."""
    return sum(look_if_due(app, record) for record in due_stacks(app))


def look_if_due(app: FastAPI, record: GitStackRecord) -> bool:
    """The schedule's look at one stack found due: taken only with its slot, and only if it is
    due still (another replica's schedule may have looked since ``record`` was read); whether
    it was looked at. Its refusal or failure is logged."""
    try:
        slot = git_stacks_of(app).claim(record, LEASE)
    except NotFound:
        return False  # removed since the list was read
    if slot is None:
        return False  # a redeploy of it runs now (a button, a webhook, another replica's look)
    if not _due(slot.record, datetime.now(UTC)):
        release(app, slot)
        return False
    redeploy_logged(app, slot.record, "schedule", force=False, claimed=slot)
    return True


def due_stacks(app: FastAPI) -> list[GitStackRecord]:
    """The Git stacks whose interval has passed since their last look."""
    now = datetime.now(UTC)
    return [record for record in git_stacks_of(app).list() if _due(record, now)]


def redeploy_logged(
    app: FastAPI,
    record: GitStackRecord,
    why: str,
    client_address: str = "",
    force: bool = True,
    claimed: Slot | None = None,
) -> None:
    """``redeploy`` for a caller that answers nobody (the schedule, a webhook's thread): its
    refusal or failure is logged (``redeploy`` keeps it as the stack's last result)."""
    try:
        redeploy(app, record, why, client_address, force, claimed)
    except ComposeError as exc:
        log.warning("Git stack %s: its compose file is refused: %s", record.stack, exc)
    except SwarmdeckError as exc:
        log.warning("Git stack %s: the redeploy (%s) failed: %s", record.stack, why, exc)


def start_schedule(app: FastAPI, tick: float = TICK) -> threading.Event:
    """The schedule's thread; set the returned event to stop it (the app's shutdown does).
    Each tick it lists the due stacks, then redeploys them one by one, each step ``_surviving``
    a bug: the store not answering waits for the next tick, one stack's bug for the next stack."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(tick):
            for record in _surviving("the schedule's look at the Git stacks", due_stacks, app) or []:
                if stop.is_set():
                    return
                _surviving(f"Git stack {record.stack}: the scheduled redeploy", look_if_due, app, record)

    threading.Thread(target=loop, name="git-stacks-schedule", daemon=True).start()
    return stop


def _surviving(what: str, work: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``work(*args, **kwargs)`` at the top of a background thread, which must outlive anything
    ``work`` raises: the one catch-all of this module's threads (the schedule's, a webhook's).
    A redeploy's refusals and failures never reach it (``redeploy_logged`` logs them); what
    does is a bug, or the store failing under the schedule's look, and is logged with its
    traceback; the thread carries on and ``work``'s answer is None."""
    try:
        return work(*args, **kwargs)
    except Exception:  # the threads' one catch-all (see above): log with traceback, carry on
        log.exception("%s failed; the console carries on", what)
        return None


def redeploy_in_background(app: FastAPI, record: GitStackRecord, why: str, client_address: str) -> None:
    """A webhook's redeploy: it answers at once (409 when one runs already), the deploy runs
    in a thread and logs failures."""
    slot = claim(app, record)

    def run() -> None:
        _surviving(
            f"Git stack {record.stack}: the {why} redeploy",
            redeploy_logged,
            app,
            record,
            why,
            client_address,
            claimed=slot,
        )

    threading.Thread(target=run, name=f"git-redeploy-{record.stack}", daemon=True).start()
