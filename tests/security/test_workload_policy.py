"""Issue 10, item 1 (and item 4's "refuse such names where they are made"): the attacks of
an operator who wanted root on the host, replayed against a real console served by uvicorn
on the real engine. Each is refused with one message naming the key (for compose text: at
its line), nothing is created, and the audit log names the mounts and capabilities asked
for; the same requests from an admin go through. Host paths an admin allows can be bound
under, not beside."""

from __future__ import annotations

from pathlib import Path

import docker
import httpx
import pytest
from playwright.sync_api import expect

from tests.support.console import PASSWORD, Janitor, LiveServer
from tests.testbed import unique_name

STACK_LABEL = "com.docker.stack.namespace"
SOCKET = "/var/run/docker.sock"


@pytest.fixture
def as_operator(live: LiveServer) -> httpx.Client:
    return live.login("oper")


@pytest.fixture
def as_admin(live: LiveServer) -> httpx.Client:
    return live.login("admin")


def audit_entries(as_admin: httpx.Client, action: str) -> list[dict]:
    answer = as_admin.get("/api/audit", params={"action": action, "per_page": 100})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def run(client: httpx.Client, image: str, name: str, **fields: object) -> httpx.Response:
    return client.post(
        "/api/containers",
        json={"image": image, "name": name, "start": False, "command": ["cat", "/host/etc/shadow"], **fields},
    )


def containers_named(engine: docker.DockerClient, name: str) -> list:
    return [c for c in engine.containers.list(all=True, filters={"name": name}) if c.name == name]


def stack_objects(engine: docker.DockerClient, stack: str) -> tuple[list, list]:
    label = {"label": f"{STACK_LABEL}={stack}"}
    return engine.services.list(filters=label), engine.networks.list(filters=label)


def problems(answer: httpx.Response) -> list[tuple[int, str]]:
    assert answer.status_code == 422, answer.text
    return [(p["line"], p["path"]) for p in answer.json()["problems"]]


# --- containers -------------------------------------------------------------------------
def test_the_hosts_root_bound_into_a_container(
    as_operator, as_admin, janitor: Janitor, engine, busybox_image
):
    name = janitor.name("root")
    refused = run(as_operator, busybox_image, name, volumes=[{"source": "/", "target": "/host"}])
    assert refused.status_code == 403, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith("refused by the workload policy: volumes[0]: binds the host path /,")
    assert not containers_named(engine, name)
    [entry] = audit_entries(as_admin, "container.run")
    assert entry["user"] == "oper" and entry["target"] == f"{name} from {busybox_image}; mounts: bind:/:/host"
    assert entry["result"].startswith("error: refused by the workload policy")

    made = run(as_admin, busybox_image, name, volumes=[{"source": "/", "target": "/host", "read_only": True}])
    assert made.status_code == 201, made.text
    [container] = containers_named(engine, name)
    assert container.attrs["HostConfig"]["Binds"] == ["/:/host:ro"]
    ok = audit_entries(as_admin, "container.run")[0]
    assert (ok["user"], ok["result"]) == ("admin", "ok") and "mounts: bind:/:/host:ro" in ok["target"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"volumes": [{"source": SOCKET, "target": SOCKET}]}, "volumes[0]", "the Docker engine's socket"),
        ({"volumes": [{"source": "/srv/../run/", "target": "/r"}]}, "volumes[0]", "host path /run,"),
        ({"volumes": [{"source": "//etc", "target": "/e"}]}, "volumes[0]", "host path /etc,"),
        (
            {"volumes": [{"source": "data", "target": "/d"}, {"source": "/root", "target": "/r"}]},
            "volumes[1]",
            "host path /root",
        ),
        ({"network": "host"}, "network", "the host's network"),
        ({"labels": {STACK_LABEL: "../users/x"}}, f"labels.{STACK_LABEL}", "not a stack name"),
        (
            {"labels": {"com.docker.compose.project": "a/b"}},
            "labels.com.docker.compose.project",
            "not a stack",
        ),
    ],
)
def test_other_ways_out_of_a_container(as_operator, janitor, engine, busybox_image, fields, field, words):
    name = janitor.name("trick")
    refused = run(as_operator, busybox_image, name, **fields)
    assert refused.status_code == 403, refused.text
    assert f": {field}: " in refused.json()["detail"] and words in refused.json()["detail"]
    assert not containers_named(engine, name)


def test_the_host_network_by_its_id_and_a_volume_an_admin_bound_to_the_host(
    as_operator, as_admin, janitor, engine, busybox_image
):
    host_id = engine.networks.get("host").id
    name = janitor.name("byid")
    refused = run(as_operator, busybox_image, name, network=host_id[:12])
    assert refused.status_code == 403 and "the host's network" in refused.json()["detail"]
    volume = janitor.name("hostroot")
    engine.volumes.create(volume, driver="local", driver_opts={"type": "none", "o": "bind", "device": "/"})
    refused = run(as_operator, busybox_image, name, volumes=[{"source": volume, "target": "/host"}])
    assert refused.status_code == 403, refused.text
    assert f"volumes[0]: the existing volume {volume} binds the host path /" in refused.json()["detail"]
    assert not containers_named(engine, name)
    made = run(as_admin, busybox_image, name, volumes=[{"source": volume, "target": "/host"}])
    assert made.status_code == 201, made.text


def test_stack_labels_of_networks_and_volumes_are_names(as_operator, as_admin, janitor, engine):
    for client in (as_operator, as_admin):  # what the pages believe is a stack: nobody may bend it
        net, vol = janitor.name("net"), janitor.name("vol")
        answer = client.post("/api/networks", json={"name": net, "labels": {STACK_LABEL: "../users/x"}})
        assert answer.status_code == 403 and f"labels.{STACK_LABEL}" in answer.json()["detail"]
        answer = client.post(
            "/api/volumes", json={"name": vol, "labels": {"com.docker.compose.project": "../x"}}
        )
        assert answer.status_code == 403 and "labels.com.docker.compose.project" in answer.json()["detail"]
        assert not engine.networks.list(names=[net])
        assert not [v for v in engine.volumes.list() if v.name == vol]
    good = as_operator.post(
        "/api/volumes", json={"name": janitor.name("vol"), "labels": {STACK_LABEL: "web"}}
    )
    assert good.status_code == 201, good.text


# --- allowed host paths -----------------------------------------------------------------
def test_admins_allow_host_paths_under_which_operators_bind(
    live, as_operator, as_admin, janitor, engine, busybox_image, tmp_path: Path
):
    base = tmp_path / "srv"
    (base / "data" / "x").mkdir(parents=True)
    (base / "database").mkdir()
    assert as_operator.get("/api/settings/workloads").status_code == 403
    assert (
        as_operator.put("/api/settings/workloads", json={"allowed_host_paths": [str(base)]}).status_code
        == 403
    )
    no_csrf = httpx.Client(base_url=live.url, cookies=as_admin.cookies)
    assert no_csrf.put("/api/settings/workloads", json={"allowed_host_paths": [str(base)]}).status_code == 403
    assert as_admin.get("/api/settings/workloads").json()["allowed_host_paths"] == []

    saved = as_admin.put("/api/settings/workloads", json={"allowed_host_paths": [f"{base}/data/"]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["allowed_host_paths"] == [f"{base}/data"]
    for never in ("/var/run", SOCKET, "/", "relative/path"):
        refused = as_admin.put("/api/settings/workloads", json={"allowed_host_paths": [never]})
        assert refused.status_code == 400, refused.text
    assert as_admin.get("/api/settings/workloads").json()["allowed_host_paths"] == [f"{base}/data"]
    [entry] = audit_entries(as_admin, "settings.workloads")[-1:]
    assert entry["user"] == "admin" and entry["target"] == f"allowed host paths: {base}/data/"
    page = as_admin.get("/settings")
    assert page.status_code == 200 and f"{base}/data" in page.text
    assert as_operator.get("/settings").status_code == 403

    name = janitor.name("allowed")
    made = run(as_operator, busybox_image, name, volumes=[{"source": f"{base}/data/x", "target": "/x"}])
    assert made.status_code == 201, made.text
    assert containers_named(engine, name)[0].attrs["HostConfig"]["Binds"] == [f"{base}/data/x:/x:rw"]
    for beside in (
        f"{base}/database",
        f"{base}/data/../database",
        f"{base}/data/x/../../../../etc",
        str(base),
    ):
        other = janitor.name("beside")
        refused = run(as_operator, busybox_image, other, volumes=[{"source": beside, "target": "/x"}])
        assert refused.status_code == 403, (beside, refused.text)
        assert f"operators may bind under {base}/data" in refused.json()["detail"]
        assert not containers_named(engine, other)


def test_the_settings_page_saves_allowed_host_paths(live, as_admin, page, tmp_path: Path):
    page.expected_failures.append("status of 400 (Bad Request)")  # the refused path, on purpose
    page.goto(live.url + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(live.url + "/")
    page.click("nav >> text=Settings")
    form = page.locator("#workload-settings")
    form.locator("textarea").fill(f"{tmp_path}/a/\n\n  {tmp_path}/b  \n")
    with page.expect_navigation():  # the page reloads once saved
        form.locator("button[type=submit]").click()
    expect(form.locator("textarea")).to_have_value(f"{tmp_path}/a\n{tmp_path}/b")
    assert as_admin.get("/api/settings/workloads").json()["allowed_host_paths"] == [
        f"{tmp_path}/a",
        f"{tmp_path}/b",
    ]
    form.locator("textarea").fill("/run")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_contain_text("the Docker engine's socket or state")
    assert as_admin.get("/api/settings/workloads").json()["allowed_host_paths"] == [
        f"{tmp_path}/a",
        f"{tmp_path}/b",
    ]


# --- stacks and services (on the swarm) ---------------------------------------------------
def compose(image: str, extra: str = "", top: str = "") -> str:
    return f"""version: "3.8"
services:
  app:
    image: {image}
{extra}    deploy:
      replicas: 0
{top}"""


SOCKET_AND_SYS_ADMIN = f"""    volumes:
      - {SOCKET}:{SOCKET}
    cap_add:
      - SYS_ADMIN
    networks: [back]
"""


def test_the_socket_and_sys_admin_in_a_stack(
    as_operator, as_admin, swarm, swarm_cleanup, engine, registry_busybox_image
):
    stack = swarm_cleanup.stack(unique_name("sdpol"))
    text = compose(registry_busybox_image, SOCKET_AND_SYS_ADMIN, "networks:\n  back: {}\n")
    for plan in (True, False):
        answer = as_operator.post(f"/api/stacks/{stack}/deploy", json={"compose": text, "plan": plan})
        assert problems(answer) == [(6, "services.app.volumes.0"), (7, "services.app.cap_add")]
        first, second = answer.json()["problems"]
        assert "Docker engine's socket" in first["message"] and "SYS_ADMIN" in second["message"]
        assert answer.json()["detail"].startswith("refused by the workload policy:")
    assert stack_objects(engine, stack) == ([], [])
    entry = audit_entries(as_admin, "stack.deploy")[0]
    assert entry["user"] == "oper" and entry["result"].startswith("error: refused by the workload policy")
    assert entry["target"] == f"{stack}; app (mounts: bind:{SOCKET}:{SOCKET}; cap_add: SYS_ADMIN)"

    deployed = as_admin.post(f"/api/stacks/{stack}/deploy", json={"compose": text})
    assert deployed.status_code == 200, deployed.text
    services, networks = stack_objects(engine, stack)
    assert [n.name for n in networks] == [f"{stack}_back"]
    container = services[0].attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert container["Mounts"][0]["Source"] == SOCKET and container["CapabilityAdd"] == ["CAP_SYS_ADMIN"]
    ok = audit_entries(as_admin, "stack.deploy")[0]
    assert (ok["user"], ok["result"], ok["target"]) == ("admin", "ok", entry["target"])


def test_a_volume_whose_driver_options_bind_the_host(
    as_operator, swarm, swarm_cleanup, engine, registry_busybox_image
):
    stack = swarm_cleanup.stack(unique_name("sdpol"))
    top = "volumes:\n  etc:\n    driver_opts:\n      type: none\n      o: bind\n      device: /etc\n"
    text = compose(registry_busybox_image, "    volumes:\n      - etc:/host-etc\n", top)
    answer = as_operator.post(f"/api/stacks/{stack}/deploy", json={"compose": text})
    assert problems(answer) == [(14, "volumes.etc.driver_opts.device")]
    assert "binds the host path /etc" in answer.json()["problems"][0]["message"]
    assert stack_objects(engine, stack) == ([], [])
    assert not [v for v in engine.volumes.list() if v.name == f"{stack}_etc"]


def test_the_host_network_as_an_external_network(
    as_operator, swarm, swarm_cleanup, engine, registry_busybox_image
):
    stack = swarm_cleanup.stack(unique_name("sdpol"))
    text = compose(
        registry_busybox_image,
        "    networks: [outside]\n",
        "networks:\n  outside:\n    external: true\n    name: host\n",
    )
    answer = as_operator.post(f"/api/stacks/{stack}/deploy", json={"compose": text})
    assert problems(answer) == [(5, "services.app.networks.outside")]
    assert "the host's network" in answer.json()["problems"][0]["message"]
    assert stack_objects(engine, stack) == ([], [])

    service = unique_name("sdpol-svc")
    answer = as_operator.post(
        "/api/services",
        json={"name": service, "image": registry_busybox_image, "replicas": 0, "networks": ["host"]},
    )
    assert answer.status_code == 403 and ": networks[0]: network 'host'" in answer.json()["detail"]
    answer = as_operator.post(
        "/api/services",
        json={
            "name": service,
            "image": registry_busybox_image,
            "replicas": 0,
            "labels": {STACK_LABEL: "../users/x"},
        },
    )
    assert answer.status_code == 403 and f"labels.{STACK_LABEL}" in answer.json()["detail"]
    assert not [s for s in engine.services.list() if s.name == service]


def test_an_admins_socket_service_keeps_its_image(
    as_operator, as_admin, swarm, swarm_cleanup, engine, registry_busybox_image, busybox_image
):
    stack = swarm_cleanup.stack(unique_name("sdpol"))
    text = compose(registry_busybox_image, f"    volumes:\n      - {SOCKET}:{SOCKET}:ro\n")
    assert as_admin.post(f"/api/stacks/{stack}/deploy", json={"compose": text}).status_code == 200
    [service] = stack_objects(engine, stack)[0]
    before = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]

    refused = as_operator.post(f"/api/services/{service.id}/image", json={"image": busybox_image})
    assert refused.status_code == 403, refused.text
    assert (
        "TaskTemplate.ContainerSpec.Mounts[0].Source: binds the host path /var/run/docker.sock"
        in refused.json()["detail"]
    )
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == before
    assert "PreviousSpec" not in service.attrs
    entry = audit_entries(as_admin, "service.update-image")[0]
    assert entry["user"] == "oper" and f"mounts: bind:{SOCKET}:{SOCKET}:ro" in entry["target"]
    assert entry["result"].startswith("error: refused by the workload policy")
    assert as_operator.post(f"/api/services/{service.id}/scale", json={"replicas": 0}).status_code == 200

    updated = as_admin.post(f"/api/services/{service.id}/image", json={"image": busybox_image})
    assert updated.status_code == 200, updated.text
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == busybox_image
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Source"] == SOCKET
    refused = as_operator.post(f"/api/services/{service.id}/rollback")
    assert refused.status_code == 403 and "after the rollback" in refused.json()["detail"]
    service.reload()
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == busybox_image


def test_allowed_host_paths_apply_to_stacks(
    as_operator, as_admin, swarm, swarm_cleanup, engine, registry_busybox_image, tmp_path: Path
):
    allowed = tmp_path / "stackdata"
    allowed.mkdir()
    assert (
        as_admin.put("/api/settings/workloads", json={"allowed_host_paths": [str(allowed)]}).status_code
        == 200
    )
    stack = swarm_cleanup.stack(unique_name("sdpol"))
    beside = compose(registry_busybox_image, f"    volumes:\n      - {allowed}base:/d\n")
    assert problems(as_operator.post(f"/api/stacks/{stack}/deploy", json={"compose": beside})) == [
        (6, "services.app.volumes.0")
    ]
    under = compose(registry_busybox_image, f"    volumes:\n      - {allowed}/x:/d\n")
    deployed = as_operator.post(f"/api/stacks/{stack}/deploy", json={"compose": under})
    assert deployed.status_code == 200, deployed.text
    [service] = stack_objects(engine, stack)[0]
    assert service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Source"] == f"{allowed}/x"
