"""A deploy from the console whose console process is SIGKILLed half-way: the console's next
start takes the deploy back, so the stack ends as it was (never half made), and says so in
the audit log; its data (accounts, sessions) is there after the restart.

The console runs as its own process (``swarmdeck serve``) on the real engine (node A, a swarm
manager); it is killed as soon as the engine shows the deploy's first service (created, or
updated), while the others are still being sent. Two quick tests start a console on a data
dir holding such a left-behind intent: one whose deploy had changed nothing yet, one whose
endpoint was removed meanwhile; both are audited and dropped. A console that starts while
another console process on the same data directory is deploying leaves that deploy alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from swarmdeck.compose.stack.plan import Plan
from swarmdeck.console import deploy_journal
from swarmdeck.store import Role, Store
from swarmdeck.swarm import stacks
from tests.testbed.config import OBJECT_LABEL
from tests.testbed.redis import free_port

SERVICES = 24
PASSWORD = "a long enough password"


def compose(image: str, round_: int) -> str:
    service = f"""    image: {image}
    command: ["sleep", "86400"]
    environment:
      ROUND: "{round_}"
    deploy:
      replicas: 0
      labels:
        {OBJECT_LABEL}: "{os.getpid()}"
"""
    return 'version: "3.8"\nservices:\n' + "".join(f"  s{i:02d}:\n{service}" for i in range(SERVICES))


class ConsoleProcess:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"console-{self.port}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "swarmdeck",
                    "serve",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(data),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def login(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=120)
        answer = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    store = Store(tmp_path / "data")
    store.create_user("admin", PASSWORD, Role.ADMIN)
    store.close()
    return tmp_path / "data"


@pytest.fixture
def stack(engine) -> Iterator[str]:
    name = f"sdct-restart-{uuid.uuid4().hex[:8]}"
    yield name
    with suppress(Exception):
        stacks.remove(engine, name, timeout=60)


def state(engine, stack: str) -> tuple[dict[str, str], list[str]]:
    """The stack's services (name -> ROUND) and networks, as the engine has them."""
    label = {"label": f"com.docker.stack.namespace={stack}"}
    services = {
        s["Spec"]["Name"]: next(
            e for e in s["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env", []) if e.startswith("ROUND=")
        )
        for s in engine.api.services(filters=label)
    }
    return services, sorted(n["Name"] for n in engine.api.networks(filters=label))


def deploy_and_kill(console: ConsoleProcess, client: httpx.Client, stack: str, body: dict, begun) -> None:
    """POST the deploy; SIGKILL the console once ``begun()`` sees its changes under way."""
    answers: list[object] = []

    def post() -> None:
        try:
            answers.append(client.post(f"/api/stacks/{stack}/deploy", json=body))
        except httpx.HTTPError as exc:
            answers.append(exc)

    sender = threading.Thread(target=post)
    sender.start()
    deadline = time.monotonic() + 120
    while not begun():
        assert time.monotonic() < deadline and not answers, answers
        time.sleep(0.005)
    console.proc.send_signal(signal.SIGKILL)
    console.proc.wait(timeout=10)
    sender.join(timeout=60)
    assert [type(a) for a in answers] != [httpx.Response], f"the deploy returned before the kill: {answers}"
    assert any((console.data / "deploys").glob("*.json"))  # cut short: its intent is still there


def wait_recovered(console: ConsoleProcess) -> None:
    deadline = time.monotonic() + 120
    while any((console.data / "deploys").glob("*.json")):
        assert time.monotonic() < deadline, console.log.read_text()
        time.sleep(0.2)


@pytest.mark.slow
def test_a_create_cut_short_is_taken_back_on_restart(engine, registry_busybox_image, data, stack) -> None:
    first = ConsoleProcess(data)
    client = first.login()
    body = {"compose": compose(registry_busybox_image, 1)}
    deploy_and_kill(first, client, stack, body, lambda: state(engine, stack)[0])
    half = state(engine, stack)
    second = ConsoleProcess(data)
    try:
        wait_recovered(second)
        assert state(engine, stack) == ({}, [])  # untouched, as before the deploy
        # The console's data is back: the old session still works, and the audit log says
        # what happened to the deploy.
        client.base_url = httpx.URL(second.url)
        entries = client.get("/api/audit", params={"action": "stack.deploy"}).json()["items"]
        [entry] = [e for e in entries if e["target"] == stack]
        assert entry["result"].startswith("error: interrupted (the console stopped during the deploy)")
        print(
            f"\nrestart: at the kill the stack had {len(half[0])} of {SERVICES} services; {entry['result']}"
        )
    finally:
        second.stop()


@pytest.mark.slow
def test_an_update_cut_short_is_rolled_back_on_restart(engine, registry_busybox_image, data, stack) -> None:
    first = ConsoleProcess(data)
    client = first.login()
    done = client.post(f"/api/stacks/{stack}/deploy", json={"compose": compose(registry_busybox_image, 1)})
    assert done.status_code == 200, done.text
    before = state(engine, stack)
    assert len(before[0]) == SERVICES
    body = {"compose": compose(registry_busybox_image, 2)}
    deploy_and_kill(first, client, stack, body, lambda: "ROUND=2" in state(engine, stack)[0].values())
    half = state(engine, stack)
    second = ConsoleProcess(data)
    try:
        wait_recovered(second)
        assert state(engine, stack) == before  # every service back to ROUND=1
        updated = sum(r == "ROUND=2" for r in half[0].values())
        print(f"\nrestart: at the kill {updated} of {SERVICES} services were updated; all rolled back")
    finally:
        second.stop()


def left_behind(data: Path, endpoint: str, stack: str) -> Path:
    """The file a console killed mid-deploy leaves: the intent of a deploy that made
    nothing yet (its network and service do not exist)."""
    folder = data / "deploys"
    folder.mkdir(mode=0o700, parents=True)
    intent = {"namespace": stack, "create": [["network", f"{stack}_default"], ["service", f"{stack}_app"]]}
    path = folder / "0123.json"
    record = {"endpoint": endpoint, "stack": stack, "user": "oper", "intent": {**intent, "update": []}}
    path.write_text(json.dumps(record))
    return path


def audited_after_recovery(make_app, path: Path) -> list[tuple[str, str, str]]:
    """Start a console on the data dir (``make_app``'s first); its audit once the file is gone."""
    app = make_app()
    deadline = time.monotonic() + 30
    while path.exists():
        assert time.monotonic() < deadline, "the left-behind deploy was not handled"
        time.sleep(0.05)
    entries, _ = app.state.console.store.list_audit(action="stack.deploy")
    return [(e.username, e.target, e.result) for e in entries]


def test_a_deploy_cut_short_before_any_change_is_audited_and_dropped(make_app, tmp_path, engine) -> None:
    path = left_behind(tmp_path / "data0", "local", "sdct-never")
    [(user, stack, result)] = audited_after_recovery(make_app, path)
    assert (user, stack) == ("oper", "sdct-never")
    assert result == (
        "error: interrupted (the console stopped during the deploy); undone: nothing had been changed yet"
    )


def test_a_deploy_cut_short_on_a_removed_endpoint_is_audited_and_dropped(make_app, tmp_path) -> None:
    path = left_behind(tmp_path / "data0", "gone", "sdct-never")
    [(_, _, result)] = audited_after_recovery(make_app, path)
    assert result.endswith("NOT undone: endpoint 'gone' no longer exists")


def test_a_deploy_running_in_another_console_process_is_not_taken_back(make_app, tmp_path, engine) -> None:
    """Two console processes on one data directory (a replicated console's tasks share their
    node's volume): one that starts while the other deploys leaves that deploy alone. Here
    this test process runs the deploy: it holds its journal as a deploy does (``kept``)."""
    stack = f"sdct-live-{uuid.uuid4().hex[:8]}"
    network = engine.networks.create(f"{stack}_default", labels={"com.docker.stack.namespace": stack})
    data = tmp_path / "data0"  # make_app's first data directory
    try:
        with deploy_journal.kept(data, "local", stack, "oper") as write_intent:
            write_intent(Plan(stack, networks={network.name: {}}))
            [journal_file] = deploy_journal.pending(data)
            app = make_app()  # its start looks at the journals left in the data directory
            deadline = time.monotonic() + 30
            while any(t.name == "deploy-recovery" for t in threading.enumerate()):
                assert time.monotonic() < deadline, "the recovery did not end"
                time.sleep(0.05)
            assert journal_file.exists()
            network.reload()  # still there: what the running deploy made is not undone
            entries, _ = app.state.console.store.list_audit(action="stack.deploy")
            assert not [e for e in entries if e.target == stack]
        assert not list((data / "deploys").iterdir())  # the deploy returned: its files are gone
    finally:
        network.remove()
