"""A stack's history of compose files through the API on the real swarm (a deploy keeps a
version, a plan, a refusal or the same text again does not; versions read and diffed; an
unknown one is a 404), and the app templates' API (built-in ones with their variables;
admins add and remove their own, audited; keys of built-in ones and duplicates refused;
markup in a title stays text on the page; others are refused). Read-only users see the
list of versions, never a file (its environment values)."""

from __future__ import annotations

import pytest

from swarmdeck.console.stackfiles import BUILTIN
from tests.support.stacks import compose
from tests.testbed import unique_name
from tests.testbed.redis import free_port

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
LABEL = "com.docker.stack.namespace"


@pytest.fixture
def stack(swarm, swarm_cleanup):
    """A stack name; the stack (services, networks, then its volumes on both nodes) goes after."""
    name = swarm_cleanup.stack(unique_name("sdhist"))
    yield name
    swarm_cleanup.cleanup()
    for client in (swarm.manager, swarm.worker):
        for volume in client.volumes.list(filters={"label": f"{LABEL}={name}"}):
            volume.remove()


@pytest.mark.both_databases
def test_deploys_keep_versions_that_are_read_and_diffed(
    operator, viewer, swarm, stack, registry_busybox_image
):
    first = compose(registry_busybox_image)
    second = first.replace("replicas: 0", "replicas: 1")
    deploy = f"/api/stacks/{stack}/deploy"
    assert operator.get(f"/api/stacks/{stack}/versions").json() == []
    assert operator.post(deploy, json={"compose": first, "plan": True}).json()["version"] is None
    refused = operator.post(deploy, json={"compose": first.replace("replicas: 0", "replicas: x")})
    assert refused.status_code == 422
    assert operator.get(f"/api/stacks/{stack}/versions").json() == []  # neither kept a version

    answer = operator.post(deploy, json={"compose": first, "env": {"GREETING": "hi"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1
    assert operator.post(deploy, json={"compose": first, "env": {"GREETING": "hi"}}).json()["version"] == 1
    assert operator.post(deploy, json={"compose": second, "env": {"GREETING": "hi"}}).json()["version"] == 2

    listed = viewer.get(f"/api/stacks/{stack}/versions").json()
    assert [(v["version"], v["username"], v["compose"]) for v in listed] == [
        (2, "oper", None),
        (1, "oper", None),
    ]
    # the files hold environment values: read-only users get the list only (as envmask says)
    assert viewer.get(f"/api/stacks/{stack}/file").status_code == 403
    assert viewer.get(f"/api/stacks/{stack}/diff", params={"old": 1, "new": 2}).status_code == 403
    page = viewer.get(f"/stacks/{stack}").text
    assert 'id="stack-versions"' in page and "replicas: 1" not in page and "GREETING" not in page
    current = operator.get(f"/api/stacks/{stack}/file").json()
    assert (current["version"], current["compose"], current["env"]) == (2, second, {"GREETING": "hi"})
    assert operator.get(f"/api/stacks/{stack}/file", params={"version": 1}).json()["compose"] == first
    diff = operator.get(f"/api/stacks/{stack}/diff", params={"old": 1, "new": 2}).json()["diff"]
    assert "-    deploy:\n" not in diff
    assert "-      replicas: 0\n+      replicas: 1\n" in diff
    assert diff.startswith(f"--- {stack} version 1\n+++ {stack} version 2\n")
    assert operator.get(f"/api/stacks/{stack}/diff", params={"old": 2, "new": 2}).json()["diff"] == ""
    missing = operator.get(f"/api/stacks/{stack}/file", params={"version": 3})
    assert missing.status_code == 404 and "no version 3" in missing.json()["detail"]
    assert operator.get(f"/api/stacks/{stack}/file", params={"version": 0}).status_code == 422


@pytest.mark.both_databases
def test_templates_builtin_and_admins_own(app, admin, operator, viewer):
    listed = viewer.get("/api/templates").json()
    assert [t["key"] for t in listed] == [t.key for t in BUILTIN]
    nginx = next(t for t in listed if t["key"] == "nginx")
    assert {"name": "NGINX_IMAGE", "default": "nginx:1.27-alpine", "required": False} in nginx["variables"]

    title = '<img src=x onerror="alert(1)">Mine'
    body = {"key": "mine", "title": title, "compose": "services:\n  a:\n    image: ${IMAGE:?set it}\n"}
    assert operator.post("/api/templates", json=body).status_code == 403
    added = admin.post("/api/templates", json=body)
    assert added.status_code == 201, added.text
    assert added.json()["variables"] == [{"name": "IMAGE", "default": "", "required": True}]
    assert admin.post("/api/templates", json=body).status_code == 409
    assert admin.post("/api/templates", json={**body, "key": "nginx"}).status_code == 409
    assert admin.post("/api/templates", json={**body, "key": "a/b"}).status_code == 422
    assert admin.post("/api/templates", json={**body, "key": ".."}).status_code == 400
    assert [t["title"] for t in viewer.get("/api/templates").json()][-1] == title

    page = operator.get("/stacks").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Mine" in page and title not in page

    assert admin.delete("/api/templates/nginx").status_code == 409
    assert operator.delete("/api/templates/mine").status_code == 403
    assert admin.delete("/api/templates/mine").status_code == 200
    assert admin.delete("/api/templates/mine").status_code == 404
    entries, _ = app.state.console.store.list_audit(limit=20)
    results = [(e.action, e.target, e.result) for e in entries if e.action.startswith("template.")]
    assert ("template.add", "mine", "ok") in results and ("template.remove", "mine", "ok") in results
    assert (
        "template.remove",
        "nginx",
        "error: nginx is a built-in template: it cannot be removed",
    ) in results


@pytest.mark.parametrize("template", BUILTIN, ids=[t.key for t in BUILTIN])
def test_each_builtin_template_deploys(operator, swarm, stack, registry_busybox_image, template):
    """Its variables set from the form's defaults, the images to the bed's registry's busybox
    (the only image a test bed's nodes can pull) and the ports to free ones."""
    env: dict[str, str] = {}
    shown = next(t for t in operator.get("/api/templates").json() if t["key"] == template.key)
    for v in shown["variables"]:
        if v["name"].endswith("_IMAGE"):
            env[v["name"]] = registry_busybox_image
        elif v["name"].endswith("_PORT"):
            env[v["name"]] = str(free_port())
        elif v["name"] == "REPLICAS":
            env[v["name"]] = "0"
    answer = operator.post(f"/api/stacks/{stack}/deploy", json={"compose": template.compose, "env": env})
    assert answer.status_code == 200, answer.text
    created = swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})
    assert sorted(s.name for s in created) == sorted(answer.json()["created"])
    assert len(created) == template.compose.count("    image: ")
    for service in created:
        image = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        assert image.startswith(registry_busybox_image.split("@")[0])
    ports = sorted(p["PublishedPort"] for s in created for p in s.attrs["Endpoint"].get("Ports", []))
    assert ports == sorted(int(v) for k, v in env.items() if k.endswith("_PORT"))
