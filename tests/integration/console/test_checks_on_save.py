"""Checks on save (console/checks.py): an endpoint or a registry is tried before it is stored,
against the real engine, the test bed's TLS registry, and ports where nothing listens. What
does not answer is refused with the reason and what to check, and nothing is written, unless
``force`` says "save anyway"."""

from __future__ import annotations

import pytest

from tests.support.pki import a_ca_pem
from tests.testbed.redis import free_port

pytestmark = pytest.mark.engine


def audit_of(app, action: str) -> list[str]:
    return [e.result for e in app.state.console.store.list_audit(limit=50)[0] if e.action == action]


def test_an_endpoint_is_checked_before_it_is_saved(app, admin):
    good = admin.post("/api/endpoints", json={"name": "here", "url": "unix:///var/run/docker.sock"})
    assert good.status_code == 201, good.text
    check = good.json()["check"]
    assert check["ok"] is True and check["engine_version"] and check["api_version"] >= "1.41"
    assert check["swarm_role"] in ("manager", "worker", "none")
    assert check["summary"] == (
        f"engine {check['engine_version']} (API {check['api_version']}), swarm role: {check['swarm_role']}"
    )
    dead_url = f"tcp://127.0.0.1:{free_port()}"
    refused = admin.post("/api/endpoints", json={"name": "dead", "url": dead_url})
    assert refused.status_code == 502
    detail = refused.json()["detail"]
    assert (
        detail.startswith("endpoint 'dead' not saved: no engine answers at ")
        and "connection refused" in detail
    )
    assert f"listens on {dead_url}" in detail and "save it anyway" in detail and "Errno" not in detail
    assert admin.get("/api/endpoints/dead").status_code == 404  # nothing written
    assert audit_of(app, "endpoint.add")[0].startswith("error: endpoint 'dead' not saved")
    forced = admin.post("/api/endpoints", json={"name": "dead", "url": dead_url, "force": True})
    assert forced.status_code == 201 and forced.json()["check"]["ok"] is False
    assert "connection refused" in forced.json()["check"]["error"]
    # An edit is checked the same way: to a dead URL refused (unchanged), forced it is saved.
    moved = admin.patch("/api/endpoints/here", json={"url": dead_url})
    assert moved.status_code == 502 and "not saved" in moved.json()["detail"]
    assert admin.get("/api/endpoints/here").json()["url"] == "unix:///var/run/docker.sock"
    back = admin.patch("/api/endpoints/dead", json={"url": "unix:///var/run/docker.sock"})
    assert back.status_code == 200 and back.json()["check"]["ok"] is True
    # Bad input is refused first, without a probe and whatever force says.
    bad = admin.post("/api/endpoints", json={"name": "web", "url": "http://127.0.0.1:2375", "force": True})
    assert bad.status_code == 400 and "unix:///path" in bad.json()["detail"]
    typed = admin.post("/api/endpoints", json={"name": "x", "url": dead_url, "force": "maybe"})
    assert typed.status_code == 422  # force is a boolean


def test_a_registry_is_checked_before_it_is_saved(app, admin, registry):
    ca = registry.ca.read_text()
    good = admin.post("/api/registries", json={"name": "bed", "address": registry.address, "ca_pem": ca})
    assert good.status_code == 201, good.text
    check = good.json()["check"]
    assert check == {
        "ok": True,
        "scheme": "https",
        "api_version": "registry/2.0",
        "auth": "open",
        "summary": "registry/2.0 answers over https, no credentials needed",
    }
    other_ca = {"name": "bed2", "address": registry.address, "ca_pem": a_ca_pem()}
    untrusted = admin.post("/api/registries", json=other_ca)  # its certificate is not that CA's
    assert untrusted.status_code == 502
    assert "its TLS certificate is not trusted" in untrusted.json()["detail"], untrusted.text
    dead = f"127.0.0.1:{free_port()}"
    refused = admin.post("/api/registries", json={"name": "gone", "address": dead})
    assert refused.status_code == 502
    detail = refused.json()["detail"]
    assert detail.startswith(f"registry at {dead} not saved: no registry answers at http://{dead}/v2/")
    assert "connection refused" in detail and f"listens on {dead}" in detail and "Errno" not in detail
    assert [r["name"] for r in admin.get("/api/registries").json() if not r["managed"]] == ["bed"]
    assert audit_of(app, "registry.add")[0].startswith(f"error: registry at {dead} not saved")
    forced = admin.post("/api/registries", json={"name": "gone", "address": dead, "force": True})
    assert forced.status_code == 201 and forced.json()["check"]["ok"] is False
    assert forced.json()["check"]["summary"].startswith("not checked: no registry answers")
