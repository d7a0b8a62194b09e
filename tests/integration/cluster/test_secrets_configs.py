"""Secrets and configs through the console's API and pages on the two-node swarm: created from
text and from an uploaded file, listed with the services using them, shown (a config's content,
never a secret's value), removal refused while a service uses one (naming the service), every
change audited without the value; and the same objects seen by the CLI's module
(``swarm.objects``), so both faces agree."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import docker
import pytest
from docker.types import SecretReference

from swarmdeck.swarm import objects
from tests.testbed import unique_name
from tests.testbed.config import OBJECT_LABEL

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
VALUE = "s3cr3t-value-that-must-never-show"


@pytest.fixture
def made(swarm) -> Iterator[list[str]]:
    """Names of secrets and configs a test made: removed afterwards."""
    names: list[str] = []
    yield names
    for lister in (swarm.manager.secrets.list, swarm.manager.configs.list):
        for found in lister():
            if found.name in names:
                with contextlib.suppress(docker.errors.NotFound):
                    found.remove()


def test_secret_from_text_listed_with_its_user_never_shown_and_kept_while_used(
    admin, viewer, operator, app, swarm, swarm_cleanup, registry_busybox_image, made
):
    name = unique_name("sdct-secret")
    made.append(name)
    assert viewer.post("/api/secrets", data={"name": name, "text": VALUE}).status_code == 403
    answer = operator.post("/api/secrets", data={"name": name, "text": VALUE, "labels": '{"team": "web"}'})
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["name"] == name and created["labels"] == {"team": "web"} and created["data"] is None
    assert VALUE not in answer.text

    service = swarm_cleanup.service(
        registry_busybox_image,
        SLEEPER,
        name=unique_name("sdct-secuser"),
        labels={OBJECT_LABEL: str(os.getpid())},
        secrets=[SecretReference(created["id"], name)],
        mode={"Replicated": {"Replicas": 0}},
    )
    listed = {o["name"]: o for o in viewer.get("/api/secrets").json()}
    assert listed[name]["services"] == [service.name]
    shown = viewer.get(f"/api/secrets/{name}")
    assert shown.status_code == 200 and shown.json()["services"] == [service.name]
    # the CLI's module sees the same object and the same user
    assert objects.users(swarm.manager, "secret", name) == [service.name]
    for path in ("/secrets", f"/secrets/{created['id']}", "/api/secrets", f"/api/secrets/{name}"):
        page = viewer.get(path)
        assert page.status_code == 200 and name in page.text and VALUE not in page.text, path

    refused = operator.delete(f"/api/secrets/{name}")
    assert refused.status_code in (400, 409), refused.text
    assert service.name in refused.json()["detail"]
    assert name in {s.name for s in swarm.manager.secrets.list()}

    service.remove()
    swarm_cleanup.services.remove(service.id)
    assert operator.delete(f"/api/secrets/{name}").json() == {"status": "removed"}
    assert name not in {s.name for s in swarm.manager.secrets.list()}
    entries = [e for e in app.state.console.store.list_audit(0, 50)[0] if e.target == name]
    assert {(e.action, e.result) for e in entries} >= {("secret.create", "ok"), ("secret.remove", "ok")}
    assert any(e.action == "secret.remove" and e.result.startswith("error") for e in entries)
    assert all(VALUE not in e.target + e.result for e in entries)


def test_config_from_a_file_shows_its_content(admin, viewer, swarm, made):
    name = unique_name("sdct-config")
    made.append(name)
    content = "listen 80;\n<b>not markup</b>\n"
    answer = admin.post(
        "/api/configs", data={"name": name}, files={"file": ("nginx.conf", content.encode(), "text/plain")}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"] == content and answer.json()["size"] == len(content)
    assert viewer.get(f"/api/configs/{name}").json()["data"] == content
    page = viewer.get(f"/configs/{answer.json()['id']}")
    assert "&lt;b&gt;not markup&lt;/b&gt;" in page.text and "<b>not markup" not in page.text
    assert objects.detail(swarm.manager, "config", name)["data"] == content
    assert admin.delete(f"/api/configs/{name}").status_code == 200
    assert viewer.get(f"/api/configs/{name}").status_code == 404


@pytest.mark.parametrize(
    ("fields", "files", "says"),
    [
        ({}, None, "either as text or as a file"),
        ({"text": "a"}, {"file": ("x", b"b", "text/plain")}, "either as text or as a file"),
        ({"text": "a", "labels": "[1]"}, None, "labels: give a JSON object"),
        ({"text": "a", "labels": "{"}, None, "labels: not valid JSON"),
    ],
)
def test_bad_input_is_one_clear_error_and_changes_nothing(operator, swarm, made, fields, files, says):
    name = unique_name("sdct-bad")
    made.append(name)
    answer = operator.post("/api/secrets", data={"name": name, **fields}, files=files)
    assert answer.status_code == 422 and says in answer.json()["detail"], answer.text
    assert name not in {s.name for s in swarm.manager.secrets.list()}


def test_a_name_outside_the_grammar_is_refused_before_the_engine(operator, swarm):
    answer = operator.post("/api/configs", data={"name": "../x", "text": "a"})
    assert answer.status_code == 422
    assert operator.get("/api/configs/..%2Fx").status_code in (404, 422)
