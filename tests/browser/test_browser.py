"""The console in headless Chromium (Debian's, driven by Playwright): first-run setup, login,
a container stopped and started elsewhere changing state on the page without a reload, the
log followed live, logout. Screenshots go to artifacts/console/."""

from __future__ import annotations

import threading
import time

import uvicorn
from playwright.sync_api import expect

from tests.support.api import run
from tests.support.browser import shot
from tests.support.console import PASSWORD, add_node_b, setup_code_of


def test_first_run_setup_then_login(make_app, page):
    app = make_app()
    page.expected_failures.append("status of 403 (Forbidden)")  # the wrong setup code
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        page.goto(url + "/containers")
        expect(page).to_have_url(url + "/setup")
        page.fill("input[name=setup_code]", "not the code")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".form-error")).to_contain_text("wrong setup code")
        page.fill("input[name=setup_code]", setup_code_of(app.state.console.store.data_dir))
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PASSWORD)
        shot(page, "01-setup")
        page.click("button[type=submit]")
        expect(page).to_have_url(url + "/login")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        expect(page.locator(".form-error")).to_have_text("wrong username or password")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(url + "/")  # the home page
        expect(page.locator("header .who")).to_contain_text("root")
        page.goto(url + "/containers")
        shot(page, "02-containers")
    finally:
        page.goto("about:blank")
        server.should_exit = True
        thread.join(timeout=20)


def test_state_changes_live_and_logs_follow_then_logout(live, janitor, engine, busybox_image, page):
    operator = live.login("oper")
    name = janitor.name("browser")
    row = run(
        operator, busybox_image, name, command=["sh", "-c", "echo first; while true; do sleep 0.5; done"]
    )
    page.goto(live.url + "/login")
    page.fill("input[name=username]", "oper")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(live.url + "/")
    page.goto(f"{live.url}/containers?q={name}")
    state = page.locator(f'tr[data-id="{row["id"]}"] .state')
    expect(state).to_have_text("running")
    page.wait_for_timeout(500)  # the event stream is connected
    engine.containers.get(name).stop(timeout=1)  # elsewhere: not through the console
    expect(state).to_have_text("exited", timeout=15000)
    shot(page, "03-stopped-elsewhere")
    engine.containers.get(name).start()
    expect(state).to_have_text("running", timeout=15000)
    # Through the page's own button (htmx with the CSRF header), then live again.
    page.locator(f'tr[data-id="{row["id"]}"] button[data-action=stop]').click()
    expect(state).to_have_text("exited", timeout=20000)
    engine.containers.get(name).start()
    page.goto(f"{live.url}/containers/{row['id']}")
    logs = page.locator("#logs")
    expect(logs).to_contain_text("first")
    engine.containers.get(name).exec_run(["sh", "-c", "echo 'followed <b>live</b>' > /proc/1/fd/1"])
    expect(logs).to_contain_text("followed <b>live</b>", timeout=15000)
    assert page.locator("#logs b").count() == 0  # shown as text, never as markup
    shot(page, "04-logs")
    page.click("#logout")
    expect(page).to_have_url(live.url + "/login")
    page.goto(live.url + "/containers")
    expect(page).to_have_url(live.url + "/login")


def test_endpoint_selector_acts_on_node_b(live, node_b_engine, node_b_janitor, registry_busybox_image, page):
    """The selector switches the page to node B; its buttons, live states and logs go there too."""
    admin = live.login("admin")
    add_node_b(admin)
    node_b_engine.images.pull(registry_busybox_image)
    name = node_b_janitor.name("picked")
    box = node_b_engine.containers.run(
        registry_busybox_image, ["sh", "-c", "echo on node b; sleep 600"], name=name, detach=True, init=True
    )
    page.goto(live.url + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(live.url + "/")
    page.goto(live.url + "/containers")
    expect(page.locator(f'tr[data-id="{box.id}"]')).to_have_count(0)  # the local endpoint first
    page.select_option("#endpoint-scope select", "nodeb")
    expect(page).to_have_url(live.url + "/containers?endpoint=nodeb")
    state = page.locator(f'tr[data-id="{box.id}"] .state')
    expect(state).to_have_text("running")
    shot(page, "05-endpoint-node-b")
    page.wait_for_timeout(500)  # node B's event stream is connected
    page.locator(f'tr[data-id="{box.id}"] button[data-action=stop]').click()
    expect(state).to_have_text("exited", timeout=20000)  # stopped on node B, seen live from node B
    assert node_b_engine.containers.get(name).status == "exited"
    box.start()
    page.goto(f"{live.url}/containers/{box.id}")  # the choice is remembered
    expect(page.locator("#logs")).to_contain_text("on node b")
    box.exec_run(["sh", "-c", "echo 'followed on node b' > /proc/1/fd/1"])
    expect(page.locator("#logs")).to_contain_text("followed on node b", timeout=15000)
    audit = admin.get("/api/audit").json()["items"]
    assert ("container.stop", box.id, "nodeb", "ok") in [
        (i["action"], i["target"], i["endpoint"], i["result"]) for i in audit
    ]
