"""The engine's resources through the console's API and pages, against the real engine."""

from __future__ import annotations

import subprocess

from swarmdeck.store import Role
from tests.support.api import assert_escaped, audit_results, run, sse_events
from tests.support.console import PASSWORD, PREFIX, login, store_of

LABEL_XSS = "<script>alert('label')</script>"
ENV_XSS = "<img src=x onerror=alert('env')>"
LOG_XSS = "<b>log</b><script>alert('log')</script>"


def test_run_a_container_with_every_option(operator, admin, janitor, engine, busybox_image):
    name = janitor.name("run")
    row = run(
        operator,
        busybox_image,
        name,
        env={"GREETING": "hello"},
        memory="32m",
        cpus=0.5,
        ports=[{"container": "8080", "host_ip": "127.0.0.1"}],
        restart_policy="on-failure",
        max_retries=2,
        labels={"com.docker.compose.project": "shop", "com.docker.compose.service": "web"},
    )
    assert row["state"] == "running" and row["stack"] == "shop" and row["service"] == "web"
    attrs = engine.containers.get(name).attrs
    host = attrs["HostConfig"]
    assert host["Memory"] == 32 * 1024 * 1024 and host["NanoCpus"] == 500_000_000
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert host["PortBindings"]["8080/tcp"][0]["HostIp"] == "127.0.0.1"
    assert "GREETING=hello" in attrs["Config"]["Env"]
    listed = operator.get(f"/api/containers?q={name}").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == row["id"]
    assert any(p.startswith("127.0.0.1:") and p.endswith("->8080/tcp") for p in listed["items"][0]["ports"])
    assert operator.get(f"/api/containers/{name}").json()["Id"] == row["id"]
    assert audit_results(admin, "container.run") == [(f"{name} from {busybox_image}", "ok")]


def test_network_and_volume_given_to_a_container(operator, janitor, engine, busybox_image):
    net, vol, name = janitor.name("net"), janitor.name("vol"), janitor.name("c")
    assert operator.post("/api/networks", json={"name": net}).status_code == 201
    run(operator, busybox_image, name, network=net, volumes=[{"source": vol, "target": "/data"}])
    attrs = engine.containers.get(name).attrs
    assert net in attrs["NetworkSettings"]["Networks"]
    assert [m["Name"] for m in attrs["Mounts"]] == [vol]


def test_search_state_filter_and_paging_on_the_server(operator, janitor, busybox_image):
    names = [janitor.name("page") for _ in range(3)]
    for n in names[:2]:
        run(operator, busybox_image, n)
    run(operator, busybox_image, names[2], start=False)
    everything = operator.get(f"/api/containers?q={PREFIX}-page").json()
    assert everything["total"] == 3
    seen = []
    for page in (1, 2, 3):
        answer = operator.get(f"/api/containers?q={PREFIX}-page&per_page=1&page={page}").json()
        assert answer["total"] == 3 and len(answer["items"]) == 1
        seen.append(answer["items"][0]["name"])
    assert sorted(seen) == sorted(names)
    assert operator.get(f"/api/containers?q={PREFIX}-page&per_page=1&page=4").json()["items"] == []
    running = operator.get(f"/api/containers?q={PREFIX}-page&state=running").json()
    assert sorted(i["name"] for i in running["items"]) == sorted(names[:2])
    created = operator.get(f"/api/containers?q={PREFIX}-page&state=created").json()
    assert [i["name"] for i in created["items"]] == [names[2]]
    bad = operator.get("/api/containers?state=sleeping")
    assert bad.status_code == 400 and "unknown state" in bad.json()["detail"]
    assert operator.get("/api/containers?per_page=0").status_code == 422


def test_start_stop_restart_kill_logs_remove(operator, admin, janitor, engine, busybox_image):
    name = janitor.name("life")
    run(operator, busybox_image, name, command=["sh", "-c", "echo started; exec sleep 300"])
    state = lambda: engine.containers.get(name).status  # noqa: E731
    assert operator.post(f"/api/containers/{name}/stop?timeout=1").status_code == 200
    assert state() == "exited"
    assert operator.post(f"/api/containers/{name}/start").status_code == 200
    assert state() == "running"
    assert operator.post(f"/api/containers/{name}/restart?timeout=1").status_code == 200
    assert state() == "running"
    assert operator.post(f"/api/containers/{name}/kill").status_code == 200
    assert state() == "exited"
    lines = operator.get(f"/api/containers/{name}/logs?tail=10").json()["lines"]
    assert lines.count("started") == 3  # one per start
    assert operator.post(f"/api/containers/{name}/pause").status_code == 422
    assert operator.delete(f"/api/containers/{name}").status_code == 200
    gone = operator.get(f"/api/containers/{name}")
    assert gone.status_code == 404 and name in gone.json()["detail"]
    again = operator.post(f"/api/containers/{name}/start")
    assert again.status_code == 404
    actions = [i["action"] for i in admin.get("/api/audit?per_page=20").json()["items"]]
    for action in (
        "container.stop",
        "container.start",
        "container.restart",
        "container.kill",
        "container.remove",
    ):
        assert action in actions
    assert (name, "ok") in audit_results(admin, "container.remove")
    assert audit_results(admin, "container.start")[0][1].startswith("error: start")


def test_bad_runs_are_one_error_and_leave_nothing(operator, janitor, engine, busybox_image):
    name = janitor.name("bad")
    missing = operator.post("/api/containers", json={"image": f"{PREFIX}/nothing:1", "name": name})
    assert missing.status_code == 404 and "pull it first" in missing.json()["detail"]
    no_exec = operator.post(
        "/api/containers", json={"image": busybox_image, "name": name, "command": ["/no/such/program"]}
    )
    assert no_exec.status_code in (400, 502) and "did not start (removed again)" in no_exec.json()["detail"]
    assert engine.containers.list(all=True, filters={"name": name}) == []
    for body, words in [
        ({"memory": "lots"}, "memory"),
        ({"name": "bad name!"}, "container name"),
        ({"restart_policy": "sometimes"}, "restart_policy"),
        ({"ports": [{"container": "http"}]}, "ports"),
    ]:
        answer = operator.post("/api/containers", json={"image": busybox_image, "name": name, **body})
        assert answer.status_code in (400, 422) and words in answer.json()["detail"], answer.text
    assert engine.containers.list(all=True, filters={"name": name}) == []


def test_images_list_tag_inspect_remove(operator, janitor, engine, busybox_image):
    images = operator.get("/api/images").json()
    assert any(busybox_image in i["tags"] for i in images)
    target = f"{PREFIX}/img:t1"
    tagged = operator.post("/api/images/tag", json={"source": busybox_image, "target": target})
    assert tagged.status_code == 201
    assert target in engine.images.get(busybox_image).tags
    assert operator.get(f"/api/images/{target}").json()["Id"] == engine.images.get(busybox_image).id
    assert target in operator.get("/images", params={"q": target}).text  # the list pages: searched
    markup = operator.post("/api/images/tag", json={"source": busybox_image, "target": "x:<b>t</b>"})
    assert markup.status_code == 400 and "not an image reference" in markup.json()["detail"]
    assert operator.delete(f"/api/images/{target}").status_code == 200
    assert target not in engine.images.get(busybox_image).tags
    assert operator.delete(f"/api/images/{target}").status_code == 404


def test_pull_without_docker_hub_is_one_clear_error(operator, admin):
    answer = operator.post("/api/images/pull", json={"reference": "alpine:3"})
    assert answer.status_code == 502
    detail = answer.json()["detail"]
    assert detail.startswith("pulling alpine:3 failed:") and "\n" not in detail
    assert audit_results(admin, "image.pull")[0] == ("alpine:3", f"error: {detail}")


def test_pull_from_the_registry_streams_progress(operator, admin, registry_busybox_image):
    answer = operator.post("/api/images/pull", json={"reference": registry_busybox_image})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    events = sse_events(answer.text)
    assert events[-1] == ("done", {"reference": registry_busybox_image})
    statuses = [d["status"] for n, d in events if n == "progress"]
    assert any(s.startswith("Digest: sha256:") for s in statuses), statuses
    missing = operator.post("/api/images/pull", json={"reference": registry_busybox_image + "-nope"})
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    assert audit_results(admin, "image.pull")[1] == (registry_busybox_image, "ok")


def test_networks_and_volumes_and_who_uses_them(operator, janitor, busybox_image):
    net, vol, name = janitor.name("net"), janitor.name("vol"), janitor.name("user")
    made = operator.post("/api/networks", json={"name": net, "labels": {"note": LABEL_XSS}})
    assert made.status_code == 201 and made.json()["Name"] == net
    assert operator.post("/api/networks", json={"name": net}).status_code == 409
    assert operator.post("/api/volumes", json={"name": vol, "labels": {"note": LABEL_XSS}}).status_code == 201
    assert operator.post("/api/volumes", json={"name": vol}).status_code == 409
    run(operator, busybox_image, name, network=net, volumes=[{"source": vol, "target": "/data"}])
    network = next(n for n in operator.get("/api/networks").json() if n["name"] == net)
    assert network["containers"] == [name] and network["driver"] == "bridge"
    volume = next(v for v in operator.get("/api/volumes").json() if v["name"] == vol)
    assert volume["containers"] == [name]
    assert operator.get(f"/api/networks/{net}").json()["Name"] == net
    assert operator.get(f"/api/volumes/{vol}").json()["Name"] == vol
    for page in ("/networks", "/volumes"):
        text = operator.get(page, params={"q": name, "cols": "labels"}).text  # by the container using it
        assert name in text
        assert_escaped(text, LABEL_XSS)
    busy = operator.delete(f"/api/networks/{net}")
    assert busy.status_code == 409, busy.text
    assert operator.delete(f"/api/volumes/{vol}").status_code == 409
    operator.delete(f"/api/containers/{name}?force=true")
    assert operator.delete(f"/api/networks/{net}").status_code == 200
    assert operator.delete(f"/api/volumes/{vol}").status_code == 200
    assert operator.get(f"/api/volumes/{vol}").status_code == 404
    assert operator.post("/api/networks", json={"name": "<bad>"}).status_code == 400


def test_markup_from_the_engine_is_escaped_on_every_page(operator, janitor, engine, busybox_image):
    name = janitor.name("xss")
    row = run(
        operator,
        busybox_image,
        name,
        labels={"xss": LABEL_XSS},
        env={"XSS": ENV_XSS},
        command=["sh", "-c", f'echo "{LOG_XSS}"; exec sleep 300'],
    )
    listing = operator.get(f"/containers?q={name}").text
    assert_escaped(listing, LABEL_XSS)
    detail = operator.get(f"/containers/{row['id']}").text
    for raw in (LABEL_XSS, ENV_XSS, LOG_XSS):
        assert_escaped(detail, raw)
    search = operator.get("/containers", params={"q": "<script>x</script>"}).text
    assert_escaped(search, "<script>x</script>")


def test_endpoints_add_test_edit_remove(admin, tmp_path):
    local = admin.post("/api/endpoints", json={"name": "here", "url": "unix:///var/run/docker.sock"})
    assert local.status_code == 201 and local.json()["insecure"] is False and "warning" not in local.json()
    probe = admin.post("/api/endpoints/here/test").json()
    assert (
        probe["healthy"] is True
        and probe["engine_version"]
        and probe["swarm_role"] in ("manager", "worker", "none")
    )
    assert probe["api_version"] >= "1.41"
    plain = admin.post(
        "/api/endpoints", json={"name": "lab", "url": "tcp://127.0.0.1:1", "force": True}
    ).json()
    assert plain["insecure"] is True and "plain TCP" in plain["warning"]
    dead = admin.post("/api/endpoints/lab/test").json()
    assert dead["healthy"] is False and "connection refused" in dead["error"].lower()
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=swarmdeck-test",
            "-days",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    tls = admin.post(
        "/api/endpoints",
        json={
            "name": "tls",
            "url": "tcp://127.0.0.1:1",
            "tls_ca": str(cert),
            "tls_cert": str(cert),
            "tls_key": str(key),
            "force": True,
        },
    ).json()
    assert tls["tls"] is True and tls["insecure"] is False and "warning" not in tls
    assert admin.post("/api/endpoints/tls/test").json()["healthy"] is False
    ssh = admin.post(
        "/api/endpoints", json={"name": "remote", "url": "ssh://deploy@127.0.0.1:1", "force": True}
    )
    assert ssh.status_code == 201 and ssh.json()["kind"] == "ssh"
    assert admin.post("/api/endpoints/remote/test").json()["healthy"] is False
    bad = admin.post("/api/endpoints", json={"name": "web", "url": "http://127.0.0.1:2375"})
    assert bad.status_code == 400 and "unix:///path" in bad.json()["detail"]
    missing = admin.post(
        "/api/endpoints", json={"name": "t2", "url": "tcp://h:2376", "tls_ca": str(tmp_path / "nope.pem")}
    )
    assert missing.status_code == 400 and "does not exist" in missing.json()["detail"]
    edited = admin.patch("/api/endpoints/lab", json={"url": "tcp://127.0.0.1:2", "force": True})
    assert edited.json()["url"] == "tcp://127.0.0.1:2"
    assert [e["name"] for e in admin.get("/api/endpoints").json()] == ["here", "lab", "remote", "tls"]
    assert admin.delete("/api/endpoints/lab").status_code == 200
    assert admin.get("/api/endpoints/lab").status_code == 404
    results = [
        (i["action"], i["result"])
        for i in admin.get("/api/audit").json()["items"]
        if i["action"].startswith("endpoint.")
    ]
    assert ("endpoint.remove", "ok") in results and ("endpoint.edit", "ok") in results
    assert any(a == "endpoint.add" and r.startswith("error:") for a, r in results)


def test_engine_unreachable_is_one_clear_error(make_app):
    app = make_app(engine_url="unix:///run/sdct-no-such.sock")
    store_of(app).create_user("admin", PASSWORD, Role.ADMIN)
    client = login(app, "admin")
    answer = client.get("/api/containers")
    assert answer.status_code == 502
    assert answer.json()["detail"] == (
        "no Docker engine answers at unix:///run/sdct-no-such.sock (no such socket)"
    )
    page = client.get("/containers")
    assert page.status_code == 502 and "no such socket" in page.text
