"""Stacks from Git through the API, on the real swarm, fetched from a real Git server the
test starts (``git http-backend``, asking for Basic credentials): a Git stack is set up and
deployed (version 1 with its commit id); a pushed change reaches the swarm through the
webhook (version 2, the new commit); a wrong webhook secret is a 404 that deploys nothing; a
path with '..', a symlink out of the checkout and a ``--upload-pack=`` URL are each refused
with one clear error and keep nothing; the token is never in an answer, a page, the audit
log or the console's log; the schedule redeploys a changed commit and survives a failure."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from swarmdeck.console import gitstacks
from swarmdeck.store.gitstacks import GitStack
from tests.support.console import store_of
from tests.support.gitserver import git_server
from tests.support.stacks import compose
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
USER, TOKEN = "deployer", "tok-3c1f9a7e55d2-very-secret"


@pytest.fixture(autouse=True)
def schedule_in_hand(app):
    """The app's own schedule thread stopped: the tests run its looks themselves, so that it
    does not take a stack's redeploy slot from under them."""
    app.state.git_schedule.set()


@pytest.fixture
def server(tmp_path):
    with git_server(tmp_path / "git", USER, TOKEN) as s:
        yield s


def _env(swarm, stack: str) -> list[str]:
    (service,) = swarm.manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"})
    return service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env", [])


def _wait(check, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


@pytest.mark.both_databases
def test_git_stack_deployed_then_converges_after_a_push_and_its_webhook(
    app, operator, viewer, swarm, swarm_cleanup, server, registry_busybox_image, caplog
):
    caplog.set_level(logging.DEBUG)
    stack = swarm_cleanup.stack(unique_name("sdgit"))
    server.make_repo("app")
    first = compose(registry_busybox_image).replace("${GREETING:-none}", "one")
    c1 = server.commit("app", {"deploy/stack.yml": first})
    body = {
        "stack": stack,
        "url": server.url("app"),
        "ref": "main",
        "path": "deploy/stack.yml",
        "username": USER,
        "token": TOKEN,
    }
    made = operator.post("/api/gitstacks", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["commit"] == c1 and made.json()["version"] == 1
    assert "GREETING=one" in _env(swarm, stack)
    versions = operator.get(f"/api/stacks/{stack}/versions").json()
    assert [(v["version"], v["commit"]) for v in versions] == [(1, c1)]

    listed = operator.get("/api/gitstacks").json()
    (mine,) = [g for g in listed if g["stack"] == stack]
    assert mine["has_token"] and mine["last_commit"] == c1 and mine["owner"] == "oper"
    hook = mine["webhook"]
    assert hook.startswith("/api/hooks/git/")
    (seen,) = [g for g in viewer.get("/api/gitstacks").json() if g["stack"] == stack]
    assert seen["webhook"] is None  # the secret URL is for operators

    # a wrong secret: 404, nothing runs, audited (the webhook needs no session)
    anonymous = TestClient(app)
    second = first.replace("one", "two")
    c2 = server.commit("app", {"deploy/stack.yml": second})
    wrong = anonymous.post("/api/hooks/git/" + "x" * 43)
    assert wrong.status_code == 404
    time.sleep(2)
    assert "GREETING=one" in _env(swarm, stack)
    assert anonymous.post(hook[:-1] + ("A" if hook[-1] != "A" else "B")).status_code == 404

    # the right one: the stack converges to the pushed commit, kept as version 2
    called = anonymous.post(hook)
    assert called.status_code == 202, called.text
    _wait(lambda: "GREETING=two" in _env(swarm, stack))
    _wait(lambda: len(operator.get(f"/api/stacks/{stack}/versions").json()) == 2)
    newest = operator.get(f"/api/stacks/{stack}/file").json()
    assert newest["version"] == 2 and newest["commit"] == c2 and newest["compose"] == second

    # the button: an unchanged commit deploys again without a new version
    again = operator.post(f"/api/gitstacks/{stack}/redeploy")
    assert again.status_code == 200 and again.json()["commit"] == c2 and again.json()["version"] == 2

    # the token never shows: answers, pages, the audit log, the console's log
    texts = [
        made.text,
        operator.get("/api/gitstacks").text,
        operator.get(f"/stacks/{stack}").text,
        operator.get("/stacks").text,
        caplog.text,
    ]
    audit = _audit_text(app)
    assert "gitstack.webhook" in audit and "denied: unknown webhook" in audit
    assert f"at {c2[:12]} (webhook)" in audit
    for shown in [*texts, audit]:
        assert TOKEN not in shown


def _audit_text(app) -> str:
    with store_of(app).engine.connect() as conn:
        rows = conn.execute(text("SELECT username, action, target, result FROM audit_log")).all()
    return "\n".join(" | ".join(str(c) for c in row) for row in rows)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"path": "../x.yml"}, "without '..'"),
        ({"path": "link.yml"}, "leads out of the repository"),
        ({"url": "--upload-pack=touch /tmp/sd-pwned"}, "does not start with '-'"),
        ({"url": "file:///etc"}, "https://, http:// or git://"),
    ],
)
def test_path_tricks_and_option_urls_are_refused(
    app, operator, swarm, swarm_cleanup, server, registry_busybox_image, change, error
):
    stack = swarm_cleanup.stack(unique_name("sdgitbad"))
    server.make_repo("bad")
    server.commit(
        "bad", {"stack.yml": compose(registry_busybox_image)}, symlinks={"link.yml": "/etc/hostname"}
    )
    body = {"stack": stack, "url": server.url("bad"), "ref": "main", "path": "stack.yml"}
    body["username"], body["token"] = USER, TOKEN
    refused = operator.post("/api/gitstacks", json={**body, **change})
    assert refused.status_code == 422, refused.text
    assert error in refused.json()["detail"]
    assert TOKEN not in refused.text
    assert [g for g in operator.get("/api/gitstacks").json() if g["stack"] == stack] == []
    assert swarm.manager.services.list(filters={"label": f"com.docker.stack.namespace={stack}"}) == []


@pytest.mark.both_databases
def test_wrong_credentials_and_the_schedule(
    app, operator, swarm, swarm_cleanup, server, registry_busybox_image, caplog
):
    stack = swarm_cleanup.stack(unique_name("sdgitsch"))
    server.make_repo("sched")
    server.commit(
        "sched", {"docker-compose.yml": compose(registry_busybox_image).replace("${GREETING:-none}", "a")}
    )
    body = {"stack": stack, "url": server.url("sched"), "username": USER, "token": "wrong-token"}
    refused = operator.post("/api/gitstacks", json=body)
    assert refused.status_code == 502 and "could not fetch" in refused.json()["detail"]
    made = operator.post("/api/gitstacks", json={**body, "token": TOKEN, "interval_minutes": 1})
    assert made.status_code == 201, made.text

    # the schedule: nothing due yet; once due, an unchanged commit is not deployed again
    assert gitstacks.run_schedule_once(app) == 0
    _age(app, stack)
    assert gitstacks.run_schedule_once(app) == 1
    assert len(operator.get(f"/api/stacks/{stack}/versions").json()) == 1
    # a pushed change is deployed at the next due look
    c2 = server.commit(
        "sched", {"docker-compose.yml": compose(registry_busybox_image).replace("${GREETING:-none}", "b")}
    )
    _age(app, stack)
    gitstacks.run_schedule_once(app)
    assert "GREETING=b" in _env(swarm, stack)
    assert operator.get(f"/api/stacks/{stack}/file").json()["commit"] == c2
    # a broken file: logged and kept as the last result, the schedule carries on
    server.commit("sched", {"docker-compose.yml": "services: [not a mapping"})
    _age(app, stack)
    assert gitstacks.run_schedule_once(app) == 1
    (mine,) = [g for g in operator.get("/api/gitstacks").json() if g["stack"] == stack]
    assert mine["last_result"].startswith("error:") and mine["last_commit"] == c2
    assert "GREETING=b" in _env(swarm, stack)
    assert f"Git stack {stack}" in caplog.text
    assert operator.delete(f"/api/gitstacks/{stack}").status_code == 200
    assert operator.post(f"/api/gitstacks/{stack}/redeploy").status_code == 404


def _age(app, stack: str) -> None:
    """Make the stack's last look long ago (its interval is one minute)."""
    with store_of(app).transaction() as s:
        row = s.scalar(select(GitStack).where(GitStack.stack == stack))
        row.last_at = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.mark.both_databases
def test_a_tag_one_redeploy_at_a_time_the_owner_and_the_schedule_thread(
    app, operator, viewer, swarm, swarm_cleanup, server, registry_busybox_image
):
    stack = swarm_cleanup.stack(unique_name("sdgittag"))
    server.make_repo("tagged")
    c1 = server.commit("tagged", {"docker-compose.yml": _text(registry_busybox_image, "v1")}, tag="v1.0")
    server.commit("tagged", {"docker-compose.yml": _text(registry_busybox_image, "main")})  # after the tag
    body = {"stack": stack, "url": server.url("tagged"), "ref": "v1.0", "username": USER, "token": TOKEN}
    made = operator.post("/api/gitstacks", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["commit"] == c1 and "GREETING=v1" in _env(swarm, stack)
    assert operator.post("/api/gitstacks", json=body).status_code == 409  # one Git source per stack

    # read-only users never see the webhook's secret URL, on the page or in the API
    (record,) = [r for r in gitstacks.git_stacks_of(app).list() if r.stack == stack]
    secret = gitstacks.git_stacks_of(app).hook_secret(record)
    assert secret not in viewer.get(f"/stacks/{stack}").text
    assert secret in operator.get(f"/stacks/{stack}").text
    assert secret not in viewer.get("/api/gitstacks").text

    # one redeploy at a time per stack: a webhook or a button meanwhile is a 409
    slot = gitstacks.claim(app, record)
    try:
        assert TestClient(app).post(gitstacks.HOOK_PREFIX + secret).status_code == 409
        assert operator.post(f"/api/gitstacks/{stack}/redeploy").status_code == 409
    finally:
        gitstacks.release(app, slot)
    assert operator.post(f"/api/gitstacks/{stack}/redeploy").status_code == 200

    # an owner who is no longer an operator stops the redeploys (last result, audit log)
    store_of(app).update_user("oper", role="read-only")
    try:
        assert TestClient(app).post(gitstacks.HOOK_PREFIX + secret).status_code == 202
        _wait(
            lambda: (
                "no longer an operator"
                in gitstacks.git_stacks_of(app).get(record.endpoint, stack).last_result
            )
        )
        assert "is no longer an operator" in _audit_text(app)  # the refused redeploy, audited
    finally:
        store_of(app).update_user("oper", role="operator")

    # the schedule's own thread: a moved tag is deployed at the next due look
    c3 = server.commit("tagged", {"docker-compose.yml": _text(registry_busybox_image, "v2")}, tag="v1.0")
    with store_of(app).transaction() as s:
        s.scalar(select(GitStack).where(GitStack.stack == stack)).interval_minutes = 1
    _age(app, stack)
    stop = gitstacks.start_schedule(app, tick=0.5)
    try:
        _wait(lambda: "GREETING=v2" in _env(swarm, stack))
    finally:
        stop.set()
    assert operator.get(f"/api/stacks/{stack}/file").json()["commit"] == c3


def _text(image: str, greeting: str) -> str:
    return compose(image).replace("${GREETING:-none}", greeting)
