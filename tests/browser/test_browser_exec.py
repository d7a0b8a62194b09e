"""The exec console in headless Chromium against the real engine: an operator opens a
container's terminal from its page, types ``echo hello-$((6*7))`` and sees ``hello-42``; a
smaller window changes what ``stty size`` says inside; the audit log holds the session (who,
which container, the command) and none of what was typed. A read-only user gets neither the
page nor a websocket (refused, and audited); a websocket from another site's page (a foreign
``Origin``, with the operator's cookie) is refused before it opens, and one whose first message
lacks the session's CSRF token is closed. Screenshots in artifacts/console/ (exec-01..02)."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.api import run
from tests.support.browser import log_in, shot
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine]


def typed(page, line: str) -> None:
    page.locator("#terminal .xterm-helper-textarea").focus()
    page.keyboard.type(line)
    page.keyboard.press("Enter")


def stty_size(page, rows) -> tuple[int, int]:
    """What ``stty size`` says in the terminal now (rows, columns)."""
    marker = os.urandom(3).hex()
    typed(page, f"echo {marker}-$(stty size | tr ' ' x)-end")
    pattern = re.compile(rf"{marker}-(\d+)x(\d+)-end")
    expect(rows).to_contain_text(pattern, timeout=10000)
    found = pattern.findall(rows.inner_text())
    return int(found[-1][0]), int(found[-1][1])


def test_an_operator_types_in_a_container_terminal_and_resizes_it(live, janitor, busybox_image, page):
    operator = live.login("oper")
    name = janitor.name("exec")
    row = run(operator, busybox_image, name)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live.url, "oper")
    page.goto(f"{live.url}/containers/{row['id']}")
    page.click("a.exec-link")
    expect(page.locator("h1")).to_contain_text("Exec in container")
    page.fill("#exec-form input[name=cmd]", "sh")
    page.click("#exec-form button[type=submit]")
    expect(page.locator("#terminal[data-connected=true]")).to_have_count(1)
    rows = page.locator("#terminal .xterm-rows")
    typed(page, "echo hello-$((6*7))")
    expect(rows).to_contain_text("hello-42", timeout=10000)
    shot(page, "exec-01-hello")

    before = stty_size(page, rows)
    page.set_viewport_size({"width": 700, "height": 900})
    expect(page.locator("#terminal .xterm-rows")).to_be_visible()
    page.wait_for_timeout(500)  # the fit, then the resize on the engine
    after = stty_size(page, rows)
    assert after[1] < before[1], (before, after)  # fewer columns in a narrower window
    shot(page, "exec-02-resized")
    typed(page, "exit")
    expect(page.locator("#exec-status")).to_contain_text("exit code 0", timeout=10000)

    admin = live.login("admin")
    entries = admin.get("/api/audit?action=container.exec").json()["items"]
    mine = [e for e in entries if e["user"] == "oper" and row["id"] in e["target"]]
    assert [e["result"] for e in mine] == ["ok: session opened"], entries
    assert mine[0]["target"].endswith(": sh") and mine[0]["at"]
    every = json.dumps(admin.get("/api/audit?per_page=500").json())
    assert "hello" not in every and "6*7" not in every and "stty" not in every


def test_a_read_only_user_gets_no_terminal(live, janitor, busybox_image, page):
    row = run(live.login("oper"), busybox_image, janitor.name("exec"))
    viewer = live.login("viewer")
    assert viewer.get(f"/containers/{row['id']}/exec").status_code == 403
    log_in(page, live.url, "viewer")
    page.goto(f"{live.url}/containers/{row['id']}")
    assert page.locator("a.exec-link").count() == 0
    # the websocket itself, from the console's own page with the viewer's session
    outcome = page.evaluate(
        """(url) => new Promise((done) => {
            const ws = new WebSocket(url);
            let opened = false;
            const first = {csrf: document.body.dataset.csrf, cmd: "sh", cols: 80, rows: 24};
            ws.onopen = () => { opened = true; ws.send(JSON.stringify(first)); };
            ws.onclose = (e) => done({opened, code: e.code});
        })""",
        live.url.replace("http", "ws") + f"/ws/exec/container/{row['id']}",
    )
    assert outcome == {"opened": False, "code": 1006}, outcome
    page.expected_failures += ["Unexpected response code: 403"]
    entries = live.login("admin").get("/api/audit?action=container.exec").json()["items"]
    assert [(e["user"], e["result"]) for e in entries if row["id"] in e["target"]] == [("viewer", "denied")]


def handshake(url: str, path: str, cookie: str, origin: str | None) -> str:
    """A websocket handshake by hand; the status line of the answer."""
    where = urlsplit(url)
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {where.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        f"Cookie: {cookie}",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection((where.hostname, where.port), timeout=10) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return s.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def test_a_foreign_origin_or_a_missing_csrf_token_is_refused(live, janitor, busybox_image, page):
    operator = live.login("oper")
    row = run(operator, busybox_image, janitor.name("exec"))
    # the page's one relaxation: xterm.js's own <style> elements; scripts stay 'self' only
    answer = operator.get(f"/containers/{row['id']}/exec")
    assert answer.headers.get_list("content-security-policy") == [
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ]
    assert answer.headers["x-frame-options"] == "DENY"
    cookie = "; ".join(f"{k}={v}" for k, v in operator.cookies.items())
    path = f"/ws/exec/container/{row['id']}"
    assert " 101 " in handshake(live.url, path, cookie, live.url)  # its own Origin: opens
    assert " 403 " in handshake(live.url, path, cookie, "http://evil.example")
    assert " 403 " in handshake(live.url, path, cookie, None)  # no Origin: not a browser's
    # the console's own page, but a first message without the session's token
    log_in(page, live.url, "oper")
    page.goto(f"{live.url}/containers/{row['id']}")
    outcome = page.evaluate(
        """(url) => new Promise((done) => {
            const ws = new WebSocket(url);
            const got = [];
            ws.onopen = () => ws.send(JSON.stringify({csrf: "forged", cmd: "sh", cols: 80, rows: 24}));
            ws.onmessage = (e) => got.push(e.data);
            ws.onclose = (e) => done({got, code: e.code});
        })""",
        live.url.replace("http", "ws") + path,
    )
    assert outcome["code"] == 1008, outcome
    assert "CSRF" in json.loads(outcome["got"][0])["error"]


SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]


def test_a_task_terminal_opens_on_the_node_that_runs_it_and_says_so_elsewhere(
    live, swarm, swarm_cleanup, page, registry_busybox_image
):
    # (swarm_cleanup before page: the page closes before the services go)
    here = swarm_cleanup.service(
        registry_busybox_image,
        SLEEPER,
        name=unique_name("sdct-exech"),
        constraints=["node.labels.testbed==nodea"],
    )
    there = swarm_cleanup.service(
        registry_busybox_image,
        SLEEPER,
        name=unique_name("sdct-exect"),
        constraints=["node.labels.testbed==nodeb"],
    )
    log_in(page, live.url, "oper")
    page.goto(f"{live.url}/services/{here.id}")
    link = page.locator("a.exec-link")
    expect(link).to_have_count(1, timeout=30000)  # once its task runs
    page.reload()  # the row with its link, as the page renders it
    page.locator("a.exec-link").click()
    expect(page.locator("h1")).to_contain_text("Exec in task")
    page.click("#exec-form button[type=submit]")
    expect(page.locator("#terminal[data-connected=true]")).to_have_count(1)
    typed(page, "echo task-$((6*7))")
    expect(page.locator("#terminal .xterm-rows")).to_contain_text("task-42", timeout=10000)
    shot(page, "exec-03-task")

    page.goto(f"{live.url}/services/{there.id}")
    expect(page.locator("a.exec-link")).to_have_count(1, timeout=30000)
    page.reload()
    page.locator("a.exec-link").click()
    page.click("#exec-form button[type=submit]")
    status = page.locator("#exec-status")
    expect(status).to_contain_text("not on this endpoint's engine", timeout=10000)
    shot(page, "exec-04-task-elsewhere")
    entries = live.login("admin").get("/api/audit?action=container.exec").json()["items"]
    results = sorted(e["result"] for e in entries if e["target"].startswith("task "))
    assert len(results) == 2 and results[0].startswith("error: task "), results
    assert "not on this endpoint's engine" in results[0] and results[1] == "ok: session opened", results


def test_the_terminal_ends_with_the_login_that_opened_it(live, janitor, busybox_image, page):
    row = run(live.login("oper"), busybox_image, janitor.name("exec"))
    log_in(page, live.url, "oper")
    page.goto(f"{live.url}/containers/{row['id']}/exec")
    page.click("#exec-form button[type=submit]")
    expect(page.locator("#terminal[data-connected=true]")).to_have_count(1)
    typed(page, "echo still-$((6*7))")
    expect(page.locator("#terminal .xterm-rows")).to_contain_text("still-42", timeout=10000)
    # the same login ended elsewhere (another tab logs out): the open terminal goes too
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    csrf = page.evaluate("document.body.dataset.csrf")
    with httpx.Client(base_url=live.url, cookies=cookies, headers={"X-CSRF-Token": csrf}) as tab:
        assert tab.post("/api/auth/logout").status_code == 200
    expect(page.locator("#exec-status")).to_contain_text("your login ended", timeout=10000)
    expect(page.locator("#terminal[data-connected=true]")).to_have_count(0)
