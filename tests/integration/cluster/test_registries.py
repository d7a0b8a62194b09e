"""Registries in the console against real registries: the bed's TLS registry (with its CA),
a registry of our own with 1,051 repositories (paging, search, shared digests, delete), and
the managed registry container (listed by itself, garbage-collected)."""

from __future__ import annotations

import json
import os
import sqlite3
import time

import httpx
import pytest

from swarmdeck.images.build import push_image, tag_image
from swarmdeck.platform import private_registry
from swarmdeck.registry.manifests import DOCKER_MANIFEST, OCI_INDEX
from tests.support.console import add_node_b
from tests.support.registries import REPOSITORIES, SEED
from tests.testbed.config import OBJECT_LABEL
from tests.testbed.redis import free_port

pytestmark = [pytest.mark.engine, pytest.mark.slow]
SECRET = "correct horse battery staple"


def add(client, name, address, **extra):
    answer = client.post("/api/registries", json={"name": name, "address": address, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_added_with_credentials_encrypted_and_never_shown(admin, operator, viewer, registry, app, tmp_path):
    body = {
        "name": "bed",
        "address": registry.address,
        "username": "ci",
        "password": SECRET,
        "ca_pem": registry.ca.read_text(),
    }
    assert viewer.post("/api/registries", json=body).status_code == 403
    assert operator.post("/api/registries", json=body).status_code == 403
    made = add(admin, **body)
    check = made.pop("check")  # tried before it was saved: the bed's registry asks for no credentials
    assert check["ok"] is True and check["scheme"] == "https" and check["auth"] == "open", check
    assert made == {
        "name": "bed",
        "address": registry.address,
        "username": "ci",
        "has_password": True,
        "ca": True,
        "managed": False,
        "allowed_realms": [],
    }
    listed = viewer.get("/api/registries")
    assert SECRET not in listed.text and "bed" in [r["name"] for r in listed.json()]
    data_dir = app.state.data_dir
    key = data_dir / "registry.key"
    assert os.stat(key).st_mode & 0o777 == 0o600
    with sqlite3.connect(data_dir / "swarmdeck.db") as db:
        (stored,) = db.execute("SELECT password FROM registries WHERE name = 'bed'").fetchone()
    assert SECRET.encode() not in stored and len(stored) > len(SECRET)
    assert SECRET.encode() not in (data_dir / "swarmdeck.db").read_bytes()
    audit = app.state.console.store.list_audit(limit=100)[0]
    assert audit and all(SECRET not in f"{e.target} {e.result}" for e in audit)
    # Bad input: one clear error each, nothing stored.
    for wrong, message in (
        (dict(body, name="other", address="no-port"), "HOST:PORT"),
        (dict(body, name="other", ca_pem="not a cert"), "PEM"),
        (dict(body, name="other", password=None), "both a username and a password"),
        (dict(body, name="swarmdeck"), "registry swarmdeck manages"),
    ):
        refused = admin.post("/api/registries", json=wrong)
        assert refused.status_code in (400, 409) and message in refused.json()["detail"], refused.text
    assert admin.post("/api/registries", json=body).status_code == 409
    assert [r["name"] for r in viewer.get("/api/registries").json() if not r["managed"]] == ["bed"]
    assert operator.post("/api/registries/bed/test").json()["scheme"] == "https"


def test_bed_registry_manifest_and_the_services_running_it(
    admin, viewer, registry, registry_busybox_image, swarm_cleanup
):
    add(admin, "bed", registry.address, ca_pem=registry.ca.read_text())
    repo, tag = registry_busybox_image.removeprefix(registry.address + "/").rsplit(":", 1)
    found = viewer.get("/api/registries/bed/repositories", params={"q": repo}).json()
    assert repo in found["items"] and found["total"] >= 1
    assert tag in viewer.get("/api/registries/bed/tags", params={"repository": repo}).json()["items"]
    m = viewer.get("/api/registries/bed/manifest", params={"repository": repo, "reference": tag}).json()
    assert m["digest"].startswith("sha256:") and m["layers"]
    assert m["size"] > sum(x["size"] for x in m["layers"])  # plus the config
    assert m["config"]["architecture"] and m["config"]["os"] == "linux" and m["history"]
    service = swarm_cleanup.service(
        registry_busybox_image,
        ["sleep", "60"],
        labels={OBJECT_LABEL: str(os.getpid())},
        mode={"Replicated": {"Replicas": 0}},
    )
    usage = viewer.get("/api/registries/bed/usage", params={"repository": repo}).json()["services"]
    assert [u["service"] for u in usage if u["id"] == service.id] == [service.name]
    other = viewer.get("/api/registries/bed/usage", params={"repository": "nobody/uses-this"}).json()
    assert other["services"] == []
    page = viewer.get("/registries/bed/repository", params={"repository": repo})
    assert page.status_code == 200 and service.name in page.text
    shown = viewer.get("/registries/bed/manifest", params={"repository": repo, "reference": tag})
    assert shown.status_code == 200 and m["digest"] in shown.text and "Delete this tag" not in shown.text
    assert viewer.get("/api/registries/bed/tags", params={"repository": "../v2/_catalog"}).status_code == 400


def test_the_services_running_a_repository_are_the_chosen_endpoints(
    admin, viewer, registry, registry_busybox_image, swarm
):
    """Usage is read on ``?endpoint=`` (node B is a worker: it cannot tell), with its grants."""
    add(admin, "bed", registry.address, ca_pem=registry.ca.read_text())
    add_node_b(admin)
    repo = registry_busybox_image.removeprefix(registry.address + "/").rsplit(":", 1)[0]
    on_b = {"repository": repo, "endpoint": "nodeb"}
    refused = admin.get("/api/registries/bed/usage", params=on_b)
    assert refused.status_code == 409 and "listing services" in refused.json()["detail"], refused.text
    assert viewer.get("/api/registries/bed/usage", params=on_b).status_code == 403  # no grant on nodeb
    page = admin.get("/registries/bed/repository", params=on_b)
    assert page.status_code == 200 and "Endpoint nodeb is not a swarm manager" in page.text
    local = admin.get("/api/registries/bed/usage", params={"repository": repo}).json()
    assert local["endpoint"] == "local" and isinstance(local["services"], list)


def test_catalog_paged_and_searched_on_the_server(admin, viewer, own_registry):
    add(admin, "own", own_registry)
    started = time.perf_counter()
    first = viewer.get("/api/registries/own/repositories", params={"per_page": 100}).json()
    fetched = time.perf_counter() - started
    assert first["total"] == REPOSITORIES + 1 and len(first["items"]) == 100 and first["pages"] == 11
    assert first["items"] == sorted(first["items"]) and first["items"][0] == "many/repo00000"
    started = time.perf_counter()
    last = viewer.get("/api/registries/own/repositories", params={"per_page": 100, "page": 11}).json()
    cached = time.perf_counter() - started
    assert len(last["items"]) == 51 and last["items"][-1] == SEED and cached < fetched
    hits = viewer.get("/api/registries/own/repositories", params={"q": "repo0102"}).json()
    assert hits["items"] == [f"many/repo0{1020 + i}" for i in range(10)] and hits["total"] == 10
    tags = viewer.get(
        "/api/registries/own/tags", params={"repository": "many/repo00003", "per_page": 1}
    ).json()
    assert (tags["items"], tags["total"], tags["pages"]) == (["latest"], 2, 2)
    page = viewer.get("/registries/own", params={"q": "repo0102"})
    assert page.status_code == 200 and "many/repo01025" in page.text and "page 1 of 1" in page.text
    assert viewer.get("/api/registries/own/repositories", params={"per_page": 5000}).status_code == 422


def test_deleting_a_tag_warns_about_tags_sharing_its_digest(admin, operator, viewer, own_registry, app):
    add(admin, "own", own_registry)
    name = "many/repo00007"
    shown = operator.get("/registries/own/manifest", params={"repository": name, "reference": "v1"})
    assert shown.status_code == 200 and '<dd id="shared">latest</dd>' in shown.text
    assert "Delete this tag" in shown.text
    params = {"repository": name, "tag": "v1"}
    assert viewer.delete("/api/registries/own/tags", params=params).status_code == 403
    warned = operator.delete("/api/registries/own/tags", params=params)
    assert warned.status_code == 409 and "latest" in warned.json()["detail"]
    assert viewer.get("/api/registries/own/tags", params={"repository": name}).json()["total"] == 2
    done = operator.delete("/api/registries/own/tags", params={**params, "confirm": "true"})
    assert done.status_code == 200, done.text
    assert done.json()["deleted_tags"] == ["v1", "latest"] and "garbage collection" in done.json()["note"]
    assert viewer.get("/api/registries/own/tags", params={"repository": name}).json()["total"] == 0
    alone = operator.delete("/api/registries/own/tags", params={"repository": name, "tag": "v1"})
    assert alone.status_code == 400 and "no such tag" in alone.json()["detail"]
    gc = admin.post("/api/registries/own/gc")
    assert gc.status_code == 409 and "only for the registry it manages" in gc.json()["detail"]
    results = [(e.action, e.result) for e in app.state.console.store.list_audit(limit=50)[0]]
    assert ("registry.delete-tag", "ok") in results


@pytest.fixture
def managed_registry(engine, registry_image):
    private_registry.remove_registry(engine, volumes=True)
    address, _ = private_registry.ensure_registry(engine, registry_image, port=free_port())
    yield address
    private_registry.remove_registry(engine, volumes=True)


def test_managed_registry_listed_by_itself_and_garbage_collected(
    admin, operator, viewer, engine, busybox_image, managed_registry
):
    listed = viewer.get("/api/registries").json()
    assert listed[0] == {
        "name": "swarmdeck",
        "address": managed_registry,
        "username": None,
        "has_password": False,
        "ca": False,
        "managed": True,
        "allowed_realms": [],
    }
    reference = f"{managed_registry}/sdct/gc:1"
    tag_image(engine, busybox_image, reference)
    try:
        push_image(engine, reference)
    finally:
        engine.images.remove(reference)
    deleted = operator.delete("/api/registries/swarmdeck/tags", params={"repository": "sdct/gc", "tag": "1"})
    assert deleted.status_code == 200, deleted.text
    assert operator.post("/api/registries/swarmdeck/gc").status_code == 403
    assert "Run garbage collection" in admin.get("/registries/swarmdeck").text
    collected = admin.post("/api/registries/swarmdeck/gc")
    assert collected.status_code == 200, collected.text
    assert collected.json()["blobs_deleted"] >= 2 and collected.json()["freed"] > 500_000
    said = collected.json()["summary"]  # what the page's notice shows
    assert said.startswith(f"{collected.json()['blobs_deleted']} blobs deleted, ") and " MB freed (" in said
    assert viewer.get("/api/registries/swarmdeck/repositories", params={"refresh": "true"}).status_code == 200
    assert admin.delete("/api/registries/swarmdeck").status_code == 409


def test_an_index_shows_its_platforms(admin, viewer, own_registry):
    add(admin, "own", own_registry)
    with httpx.Client(base_url=f"http://{own_registry}", timeout=30) as http:
        image = http.head(f"/v2/{SEED}/manifests/1", headers={"Accept": DOCKER_MANIFEST})
        digest, size = image.headers["Docker-Content-Digest"], int(image.headers["Content-Length"])
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": DOCKER_MANIFEST,
                    "digest": digest,
                    "size": size,
                    "platform": {"os": "linux", "architecture": "arm", "variant": "v7"},
                }
            ],
        }
        put = http.put(
            f"/v2/{SEED}/manifests/multi", content=json.dumps(index), headers={"Content-Type": OCI_INDEX}
        )
        assert put.status_code == 201, put.text
    m = viewer.get("/api/registries/own/manifest", params={"repository": SEED, "reference": "multi"}).json()
    assert m["is_index"] and m["platforms"] == [{"platform": "linux/arm/v7", "digest": digest, "size": size}]
    assert m["config"] is None and m["layers"] == []
    page = viewer.get("/registries/own/manifest", params={"repository": SEED, "reference": "multi"})
    assert page.status_code == 200 and "linux/arm/v7" in page.text and digest in page.text
    one = viewer.get("/api/registries/own/manifest", params={"repository": SEED, "reference": digest}).json()
    assert not one["is_index"] and one["digest"] == digest and one["layers"]
