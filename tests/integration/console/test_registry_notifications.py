"""The registry index kept fresh by a real registry's notifications: a push and a delete show
at once with no catalog walk (counted in the registry's own access log), bad tokens and bad
bodies change nothing, and a cold console answers from the persisted index."""

from __future__ import annotations

import time

import httpx
import pytest

from swarmdeck.console import create_app
from swarmdeck.images.build import push_image, tag_image
from swarmdeck.registry import notifications
from swarmdeck.registry.manifests import DOCKER_MANIFEST
from tests.support.console import database_url_of, login
from tests.support.notified_registry import gateway_console, notified_registry

pytestmark = pytest.mark.both_databases

NAME = "notified"
REPO = "notify/app"
EVENTS = {"Content-Type": notifications.EVENTS_MEDIA_TYPE}


def repositories(client, name: str = NAME) -> list[str]:
    answer = client.get(f"/api/registries/{name}/repositories", params={"per_page": 1000})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def wait_for(predicate, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)


def envelope(action: str, repository: str) -> dict:
    return {
        "events": [
            {
                "id": "e1",
                "timestamp": "2026-12-07T00:00:00Z",
                "action": action,
                "target": {"mediaType": DOCKER_MANIFEST, "repository": repository, "tag": "1", "digest": ""},
            }
        ]
    }


@pytest.fixture
def bed(app, admin, engine, busybox_image, janitor):
    with gateway_console(app, engine) as live, notified_registry(engine, admin, live, NAME) as registry:
        yield live, registry


def test_a_push_and_a_delete_reach_the_index_without_a_walk(bed, app, admin, engine, busybox_image):
    live, registry = bed
    assert repositories(admin) == []  # the first view walks the (empty) catalog once
    walked = registry.catalog_requests()
    assert walked >= 1
    walks = app.state.registries.catalogs.walks

    image = f"{registry.address}/{REPO}:1"
    tag_image(engine, busybox_image, image)
    try:
        push_image(engine, image)
    finally:
        engine.images.remove(image)
    wait_for(lambda: repositories(admin) == [REPO], "the pushed repository indexed")
    assert registry.catalog_requests() == walked, "the index asked the registry's catalog"
    assert app.state.registries.catalogs.walks == walks

    with httpx.Client(base_url=f"http://{registry.address}") as raw:
        digest = raw.head(f"/v2/{REPO}/manifests/1", headers={"Accept": DOCKER_MANIFEST}).headers[
            "Docker-Content-Digest"
        ]
        assert raw.delete(f"/v2/{REPO}/manifests/{digest}").status_code == 202
    wait_for(lambda: repositories(admin) == [], "the repository whose last tag went dropped")
    assert registry.catalog_requests() == walked
    assert app.state.registries.catalogs.walks == walks

    entries = [e for e in app.state.console.store.list_audit(limit=50)[0] if e.action == "registry.notify"]
    assert entries and all(e.username == f"registry:{NAME}" for e in entries)
    assert any("1 added" in e.target for e in entries) and any("1 removed" in e.target for e in entries)


def test_wrong_tokens_and_bodies_change_nothing(bed, admin):
    live, registry = bed
    assert repositories(admin) == []
    url = f"{live.url}/api/registries/{NAME}/notifications"
    good = {notifications.TOKEN_HEADER: registry.token, **EVENTS}
    with httpx.Client(timeout=10) as http:
        body = envelope("push", "sneaky/one")
        assert http.post(url, json=body, headers=EVENTS).status_code == 401
        wrong = {notifications.TOKEN_HEADER: registry.token[:-2] + "xx", **EVENTS}
        assert http.post(url, json=body, headers=wrong).status_code == 401
        other = f"{live.url}/api/registries/nosuch/notifications"
        assert http.post(other, json=body, headers=good).status_code == 401
        # an API token is not a registry's token
        assert (
            http.post(url, json=body, headers={"Authorization": "Bearer nope", **EVENTS}).status_code == 401
        )
        for bad in (
            b"not json",
            b'{"events": [{"id": 1, "action": "push", "target": {"repository": "a/b"}}]}',
            b'{"events": [{"id": "x", "action": "explode", "target": {"repository": "a/b"}}]}',
            b'{"events": [{"id": "x", "action": "push", "target": {"repository": "UPPER/../x"}}]}',
            b'{"events": "none"}',
        ):
            answer = http.post(url, content=bad, headers=good)
            assert answer.status_code == 422, (bad, answer.text)
        big = b'{"events": [' + b" " * (1 << 20) + b"]}"
        assert http.post(url, content=big, headers=good).status_code == 413
    assert repositories(admin) == []

    with httpx.Client(timeout=10) as http:  # the same post with the token is taken
        answer = http.post(url, json=envelope("push", "sneaky/one"), headers=good)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"events": 1, "added": 1, "removed": 0}
    assert repositories(admin) == ["sneaky/one"]


def test_a_new_token_replaces_the_old_one(bed, admin):
    live, registry = bed
    made = admin.post(f"/api/registries/{NAME}/notifications/token", json={})
    assert made.status_code == 200
    assert made.json()["token"] != registry.token
    assert notifications.TOKEN_HEADER in made.json()["snippet"]
    assert f"/api/registries/{NAME}/notifications" in made.json()["snippet"]
    url = f"{live.url}/api/registries/{NAME}/notifications"
    with httpx.Client(timeout=10) as http:
        old = {notifications.TOKEN_HEADER: registry.token, **EVENTS}
        assert http.post(url, json=envelope("push", "a/b"), headers=old).status_code == 401
        new = {notifications.TOKEN_HEADER: made.json()["token"], **EVENTS}
        assert http.post(url, json=envelope("push", "a/b"), headers=new).status_code == 200


def test_a_cold_console_answers_from_the_persisted_index(bed, app, admin):
    live, registry = bed
    url = f"{live.url}/api/registries/{NAME}/notifications"
    headers = {notifications.TOKEN_HEADER: registry.token, **EVENTS}
    assert repositories(admin) == []
    walked = registry.catalog_requests()
    with httpx.Client(timeout=10) as http:
        for repo in ("cold/a", "cold/b"):
            assert http.post(url, json=envelope("push", repo), headers=headers).status_code == 200
    cold = create_app(app.state.data_dir, database_url=database_url_of(app))
    try:
        assert repositories(login(cold, "admin")) == ["cold/a", "cold/b"]
        assert cold.state.registries.catalogs.walks == 0
        assert registry.catalog_requests() == walked
    finally:
        cold.state.console.close()
