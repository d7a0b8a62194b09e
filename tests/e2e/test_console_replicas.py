"""The console as two replicas on the real swarm, sharing one PostgreSQL database (issue 13,
item 6): deployed by ``console_service.deploy`` as `up --console-replicas 2
--console-database-url` does, from an image of these sources, against a PostgreSQL server this
test starts on the host (listening on docker_gwbridge's gateway, where the tasks reach it).

Every request is pinned to one replica: it is made inside that replica's container, to its own
127.0.0.1 (the engine's exec API), so which replica answers is never left to the ingress. The
setup code, the session cookie and its CSRF token made on one replica work on the other; after
one replica's container is killed the same cookie keeps working on the survivor and on the task
the swarm starts in its place (nobody is logged out). Failed logins counted on one replica
throttle the other (the counts are in the database). A live stream opened on one replica (the
pages' ``/api/live``, the swarm map's stream) sees a service created, scaled and removed
through the other within a few seconds: each replica follows the engine's events, so nothing
has to pass between them.

The database URL carries a password (the server trusts the bridge, so it is not checked; it is
the needle): it is in neither the service's spec, the tasks' containers (environment,
arguments), their logs nor what the deploy printed, only in the swarm secret the tasks read.
Deployed again with another URL, the service moves to a new secret and the old one is removed;
removing the stack removes the database URL's secret too."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import docker
import docker.errors
import pytest

from swarmdeck.images.bootstrap import ensure_base_images
from swarmdeck.images.build import build_image, push_image, tag_image
from swarmdeck.images.console_image import DOCKERFILE, prepare_context
from swarmdeck.platform import console_service, stack_cli
from tests.support.postgres import _free_port, running_server

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]

RUN = uuid.uuid4().hex[:6]
STACK = f"sdrep-{RUN}"
PASSWORD = "a long enough password"
DB_PASSWORD = f"dbpw{uuid.uuid4().hex}"  # in the database URL only
CONSOLE_PORT = _free_port()  # where the replicas listen (and the ingress publishes them)
# Run inside a replica's container: one HTTP request to the console there; prints its status,
# Set-Cookie and body as JSON. argv: method, path, headers (JSON), body (JSON or ""), port.
ASK = """
import json, sys, urllib.request, urllib.error
method, path, headers, body = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
data = body.encode() if body else None
if data: headers["Content-Type"] = "application/json"
url = "http://127.0.0.1:" + sys.argv[5] + path
request = urllib.request.Request(url, data=data, headers=headers, method=method)
try:
    answer = urllib.request.urlopen(request, timeout=20)
except urllib.error.HTTPError as exc:
    answer = exc
print(json.dumps({"status": answer.status, "cookie": answer.headers.get("set-cookie") or "",
                  "body": answer.read().decode()}))
"""


def ask(
    container, method: str, path: str, cookie: str = "", csrf: str = "", body: dict | None = None
) -> dict:
    headers = {"Cookie": cookie} if cookie else {}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    argv = [
        "python3",
        "-c",
        ASK,
        method,
        path,
        json.dumps(headers),
        json.dumps(body) if body else "",
        str(CONSOLE_PORT),
    ]
    done = container.exec_run(argv, stdout=True, stderr=True)
    assert done.exit_code == 0, done.output.decode()
    return json.loads(done.output.decode().strip().splitlines()[-1])


# Run inside a replica's container: opens a server-sent event stream there and prints, one
# JSON line each as they come, the status, each comment (":connected") and each event, for at
# most `seconds` (each read waits at most that long). argv: path, headers (JSON), seconds, port.
FOLLOW = """
import json, sys, time, urllib.request
path, headers, seconds = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
request = urllib.request.Request("http://127.0.0.1:" + sys.argv[4] + path, headers=headers)
start = time.monotonic()
answer = urllib.request.urlopen(request, timeout=seconds)
print(json.dumps({"status": answer.status}), flush=True)
name = "message"
while time.monotonic() - start < seconds:
    try:
        line = answer.readline()
    except OSError:
        break
    if not line:
        break
    line = line.decode().rstrip("\\n")
    if line.startswith(":"):
        print(json.dumps({"comment": line[1:].strip()}), flush=True)
    elif line.startswith("event:"):
        name = line[6:].strip()
    elif line.startswith("data:"):
        print(json.dumps({"event": name, "data": json.loads(line[5:])}), flush=True)
        name = "message"
"""


@dataclass
class Following:
    """A stream read inside one replica's container, in a thread: what it printed so far,
    each line with the host's monotonic time it arrived."""

    lines: list[tuple[float, dict]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def events(self, name: str, after: float = 0.0) -> list[tuple[float, dict]]:
        return [
            (at, line["data"]) for at, line in list(self.lines) if line.get("event") == name and at > after
        ]

    def wait_for(self, name: str, after: float, test, timeout: float) -> float:
        """Seconds from ``after`` to the first ``name`` event whose data passes ``test``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, data in self.events(name, after):
                if test(data):
                    return at - after
            assert not self.done.is_set(), f"the stream ended: {self.lines}"
            time.sleep(0.1)
        raise AssertionError(f"no matching {name!r} within {timeout:.0f} s: {self.lines}")


def follow(container, path: str, cookie: str, seconds: float) -> Following:
    """Start reading ``path``'s stream inside ``container``; returns once it is connected."""
    seen = Following()
    argv = ["python3", "-c", FOLLOW, path, json.dumps({"Cookie": cookie}), str(seconds), str(CONSOLE_PORT)]

    def read() -> None:
        try:
            rest = b""
            for chunk in container.exec_run(argv, stream=True).output:
                rest += chunk
                *whole, rest = rest.split(b"\n")
                for raw in whole:
                    line = json.loads(raw)
                    seen.lines.append((time.monotonic(), line))
                    if line.get("comment") == "connected":
                        seen.connected.set()
        finally:
            seen.done.set()

    threading.Thread(target=read, daemon=True, name="follow").start()
    assert seen.connected.wait(30), f"{path}: not connected ({seen.lines})"
    return seen


def running_containers(engine: docker.DockerClient, want: int, timeout: float = 240.0) -> list:
    """The service's running task containers once ``want`` of them answer /api/health."""
    service = f"{STACK}_{console_service.SERVICE}"
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        tasks = engine.services.get(service).tasks(filters={"desired-state": "running"})
        ids = [
            t["Status"]["ContainerStatus"]["ContainerID"]
            for t in tasks
            if t["Status"]["State"] == "running"
            and (t["Status"].get("ContainerStatus") or {}).get("ContainerID")
        ]
        seen = ", ".join(f"{t['Status']['State']} {t['Status'].get('Err', '')}" for t in tasks)
        if len(ids) == want:
            containers = [engine.containers.get(i) for i in ids]
            try:
                if all(ask(c, "GET", "/api/health")["status"] == 200 for c in containers):
                    return containers
            except (AssertionError, ValueError, docker.errors.APIError):
                pass
        time.sleep(2)
    raise AssertionError(f"{service}: not {want} healthy replicas within {timeout:.0f} s ({seen})")


@pytest.fixture(scope="module")
def image(engine, registry) -> str:
    """The console's image of these sources, in the bed's registry under this run's tag."""
    machine = engine.info()["Architecture"]
    context = prepare_context(machine, progress=lambda _: None)
    assert (context / "Dockerfile").read_text() == DOCKERFILE
    base = ensure_base_images(engine)["python"].image
    local = f"sdrep-console:{RUN}"
    build_image(engine, context, local, buildargs={"BASE": base, "SOURCE": RUN})
    reference = f"{registry.address}/sdrep-console:{RUN}"
    tag_image(engine, local, reference)
    push_image(engine, reference)
    yield reference
    for tag in (reference, local):
        engine.images.remove(tag, force=True)


@pytest.fixture(scope="module")
def database(engine):
    """A PostgreSQL server on docker_gwbridge's gateway, open to that bridge's tasks."""
    [ipam] = engine.networks.get("docker_gwbridge").attrs["IPAM"]["Config"]
    with running_server(also_on=ipam["Gateway"], allow=(ipam["Subnet"],)) as server:
        url = server.new_database()  # over the loopback; the tasks reach it on the gateway
        yield url.replace("@127.0.0.1:", f":{DB_PASSWORD}@{ipam['Gateway']}:", 1)


@dataclass
class Deployed:
    image: str
    database: str
    printed: list[str]


@pytest.fixture(scope="module")
def deployed(engine, swarm, image, database):
    try:
        printed = console_service.deploy(
            engine, image, CONSOLE_PORT, [], None, replicas=2, database_url=database, stack=STACK
        )
        yield Deployed(image, database, printed)
    finally:
        stack_cli.remove(engine, STACK)
        for volume in engine.volumes.list(filters={"name": STACK}):
            volume.remove(force=True)
        for secret in engine.secrets.list(filters={"name": STACK}):
            secret.remove()


@pytest.fixture(scope="module")
def replicas(engine, deployed):
    return running_containers(engine, 2)


def test_two_replicas_act_as_one_console_and_survive_losing_one(engine, replicas):
    one, two = replicas
    assert one.id != two.id
    assert all(json.loads(ask(c, "GET", "/api/health")["body"])["setup_required"] for c in replicas)

    # The setup code one replica shows (derived from the swarm secret) is accepted by the other.
    code = one.exec_run(["cat", "/data/setup-code"]).output.decode().strip()
    secret = engine.secrets.get(console_service.key_secret_name(STACK))
    assert secret.name == f"{STACK}_console-key"
    made = ask(two, "POST", "/api/setup", body={"setup_code": code, "username": "root", "password": PASSWORD})
    assert made["status"] == 201, made
    assert not json.loads(ask(one, "GET", "/api/health")["body"])["setup_required"]

    # A session made on one replica, with its CSRF token, works on the other.
    login = ask(one, "POST", "/api/auth/login", body={"username": "root", "password": PASSWORD})
    assert login["status"] == 200, login
    cookie = login["cookie"].split(";")[0]
    csrf = json.loads(login["body"])["csrf_token"]
    for replica in (one, two):
        me = ask(replica, "GET", "/api/auth/me", cookie)
        assert me["status"] == 200 and json.loads(me["body"])["username"] == "root", me
        refused = ask(replica, "POST", "/api/tokens", cookie, body={"name": f"no-csrf-{replica.id[:6]}"})
        assert refused["status"] == 403, refused
        token = ask(replica, "POST", "/api/tokens", cookie, csrf, body={"name": f"on-{replica.id[:6]}"})
        assert token["status"] == 201, token
    listed = json.loads(ask(two, "GET", "/api/tokens", cookie)["body"])
    assert sorted(t["name"] for t in listed) == sorted(f"on-{r.id[:6]}" for r in replicas)

    # One replica's container killed: the same session keeps working, on the survivor at once
    # and on the task the swarm starts in its place.
    one.kill()
    me = ask(two, "GET", "/api/auth/me", cookie)
    assert me["status"] == 200, me
    after = ask(two, "POST", "/api/tokens", cookie, csrf, body={"name": "after-kill"})
    assert after["status"] == 201, after
    started = time.monotonic()
    replaced = [c for c in running_containers(engine, 2) if c.id != two.id]
    back = time.monotonic() - started
    [fresh] = replaced
    assert fresh.id != one.id
    me = ask(fresh, "GET", "/api/auth/me", cookie)
    assert me["status"] == 200 and json.loads(me["body"])["username"] == "root", me
    assert ask(fresh, "POST", "/api/tokens", cookie, csrf, body={"name": "on-new"})["status"] == 201
    print(f"replacement replica answered {back:.1f} s after the kill")


def signed_in(replica) -> tuple[str, str]:
    """root's session cookie and CSRF token (root is set up first if no one is yet)."""
    if json.loads(ask(replica, "GET", "/api/health")["body"])["setup_required"]:
        code = replica.exec_run(["cat", "/data/setup-code"]).output.decode().strip()
        body = {"setup_code": code, "username": "root", "password": PASSWORD}
        assert ask(replica, "POST", "/api/setup", body=body)["status"] == 201
    login = ask(replica, "POST", "/api/auth/login", body={"username": "root", "password": PASSWORD})
    assert login["status"] == 200, login
    return login["cookie"].split(";")[0], json.loads(login["body"])["csrf_token"]


def test_failed_logins_on_one_replica_throttle_the_other(engine, replicas):
    one, two = running_containers(engine, 2)
    signed_in(one)  # root exists: the refusals below are wrong passwords of an unknown name
    wrong = {"username": f"ghost-{RUN}", "password": "not the password at all"}
    for replica in (one, two, one, two, one):  # the limit: 5 per name and address in 5 minutes
        assert ask(replica, "POST", "/api/auth/login", body=wrong)["status"] == 401
    # Two failures on this replica, five in all: refused for minutes, not for an account delay.
    refused = ask(two, "POST", "/api/auth/login", body=wrong)
    assert refused["status"] == 429, refused
    assert int(json.loads(refused["body"])["detail"].split(" in ")[1].split()[0]) > 60, refused


def test_live_streams_on_one_replica_see_changes_made_through_the_other(
    engine, replicas, registry_busybox_image
):
    one, two = running_containers(engine, 2)
    cookie, csrf = signed_in(one)
    name = f"{STACK}-live"
    live = follow(one, "/api/live?types=service&types=task", cookie, seconds=90)
    mapped = follow(two, "/api/swarm/map/stream", cookie, seconds=90)
    try:
        # Created through replica two: replica one's page stream says services changed.
        started = time.monotonic()
        body = {"name": name, "image": registry_busybox_image, "replicas": 0, "command": ["sleep", "600"]}
        made = ask(two, "POST", "/api/services", cookie, csrf, body=body)
        assert made["status"] == 201, made
        created = live.wait_for("change", started, lambda d: "service" in d["types"], timeout=10)

        # Scaled through replica one: replica two's swarm map shows the task running.
        started = time.monotonic()
        scaled = ask(one, "POST", f"/api/services/{name}/scale", cookie, csrf, body={"replicas": 1})
        assert scaled["status"] == 200, scaled
        running = mapped.wait_for(
            "map",
            started,
            lambda d: any(t["service"] == name and t["state"] == "running" for t in d["tasks"]),
            timeout=60,
        )
        # ... and replica one's page stream saw the task start.
        assert live.wait_for("change", started, lambda d: "task" in d["types"], timeout=10) <= running + 5

        # Removed through replica two: both streams see it gone.
        started = time.monotonic()
        assert ask(two, "DELETE", f"/api/services/{name}", cookie, csrf)["status"] == 200
        removed = live.wait_for("change", started, lambda d: "service" in d["types"], timeout=10)
        gone = mapped.wait_for(
            "map", started, lambda d: not any(t["service"] == name for t in d["tasks"]), timeout=30
        )
    finally:
        for service in engine.services.list(filters={"name": name}):
            service.remove()
    assert created < 5 and removed < 5 and gone < 10, (created, removed, gone)
    print(
        f"other replica's change seen: created {created:.1f} s, task running on the map {running:.1f} s, "
        f"removed {removed:.1f} s (map {gone:.1f} s)"
    )


def test_the_database_url_is_a_secret_replaced_when_it_changes_and_removed_with_the_stack(
    engine, deployed, replicas
):
    assert DB_PASSWORD in deployed.database
    service = engine.services.get(f"{STACK}_{console_service.SERVICE}")
    first = console_service.database_secret_name(STACK, deployed.database)
    seen = [json.dumps(service.attrs), "\n".join(deployed.printed)]
    for container in running_containers(engine, 2):
        container.reload()
        seen += [json.dumps(container.attrs), container.logs().decode(errors="replace")]
        # What the task reads is the URL itself (the secret's file), owner-only.
        shown = container.exec_run(["cat", f"/run/secrets/{console_service.DB_SECRET}"])
        assert shown.output.decode() == deployed.database
    assert not [text for text in seen if DB_PASSWORD in text]
    assert "SWARMDECK_DATABASE_URL" not in seen[0]
    assert first in {
        s["SecretName"] for s in service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    }
    assert [f"Creating secret {first}"] == [line for line in deployed.printed if "secret" in line]

    # Another URL (another password: the server trusts the bridge): a new secret, the service
    # updated to it, the old secret gone; the replicas work on the new one.
    changed = deployed.database.replace(DB_PASSWORD, DB_PASSWORD + "x")
    second = console_service.database_secret_name(STACK, changed)
    assert second != first
    printed = console_service.deploy(
        engine, deployed.image, CONSOLE_PORT, [], None, replicas=2, database_url=changed, stack=STACK
    )
    assert f"Creating secret {second}" in printed and f"Removing secret {first}" in printed
    names = {s.name for s in engine.secrets.list(filters={"name": STACK})}
    assert second in names and first not in names
    service.reload()
    spec = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert second in {s["SecretName"] for s in spec["Secrets"]}
    deadline = time.monotonic() + 240
    while True:
        containers = running_containers(engine, 2)
        current = [
            c.exec_run(["cat", f"/run/secrets/{console_service.DB_SECRET}"]).output for c in containers
        ]
        if all(text.decode() == changed for text in current):
            break
        assert time.monotonic() < deadline, "the replicas were not updated to the new secret"
        time.sleep(3)
    assert all(ask(c, "GET", "/api/health")["status"] == 200 for c in containers)
    # Deployed again unchanged: no secret made or removed.
    again = console_service.deploy(
        engine, deployed.image, CONSOLE_PORT, [], None, replicas=2, database_url=changed, stack=STACK
    )
    assert not [line for line in again if "secret" in line.lower()]

    # Removing the stack (`down`) removes the database URL's secret, keeps the key secret.
    stack_cli.remove(engine, STACK)
    names = {s.name for s in engine.secrets.list(filters={"name": STACK})}
    assert names == {console_service.key_secret_name(STACK)}
