"""Errors inside the layout and checks on save, in headless Chromium against the real console:
an unknown URL is a 404 page with the navigation; an endpoint at a dead address is refused by
the form with what to check, saved only with "save anyway", and its pages then say what to
check; local is listed with the others; a registry is checked on save; API paths stay JSON;
every change says it succeeded. Screenshots go to artifacts/console/ (errpages-*)."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.support.browser import log_in, shot
from tests.testbed.redis import free_port

EXPECTED = ["status of 404 (Not Found)", "status of 502 (Bad Gateway)"]


def test_unknown_url_and_dead_endpoint_pages_keep_the_layout(live, page, browser):
    page.expected_failures.extend(EXPECTED)
    log_in(page, live.url, "admin")
    answer = page.goto(live.url + "/no/such/page")
    assert answer is not None and answer.status == 404
    expect(page.locator("header nav a[href='/containers']")).to_be_visible()  # the navigation stays
    expect(page.locator("h1")).to_contain_text("Not found")
    expect(page.locator(".error-text")).to_have_text("there is no page or API route at /no/such/page")
    expect(page.locator(".advice")).to_contain_text("Check the address")
    shot(page, "errpages-01-unknown-url")
    api = page.goto(live.url + "/api/no/such/route")  # what a browser gets on an API path: JSON
    assert api is not None and api.status == 404 and api.headers["content-type"] == "application/json"
    assert json.loads(api.text())["detail"].startswith("there is no page or API route")

    page.goto(live.url + "/endpoints")
    expect(page.locator("h1 small")).to_have_text("1")  # local, listed with the others
    local = page.locator('tr[data-endpoint="local"]')
    local.locator("button", has_text="test").click()
    expect(local.locator(".probe")).to_contain_text("healthy")
    dead_url = f"tcp://127.0.0.1:{free_port()}"
    form = page.locator("#new-endpoint")
    form.locator("input[name=name]").fill("dead")
    form.locator("input[name=url]").fill(dead_url)
    form.locator("button[type=submit]").click()
    refusal = form.locator(".form-error")
    expect(refusal).to_contain_text("endpoint 'dead' not saved: no engine answers at")
    expect(refusal).to_contain_text(f"Check that dockerd runs there and listens on {dead_url}")
    expect(refusal).to_contain_text("save it anyway")
    assert "Errno" not in refusal.text_content()
    shot(page, "errpages-02-endpoint-refused")
    expect(page.locator('tr[data-endpoint="dead"]')).to_have_count(0)  # nothing saved
    form.locator("input[name=force]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#notice")).to_contain_text("Endpoint added: not checked: no engine answers at")
    expect(page.locator("h1 small")).to_have_text("2")
    expect(page.locator('tr[data-endpoint="dead"]')).to_be_visible()
    shot(page, "errpages-03-endpoint-saved-anyway")

    good = page.locator("#new-endpoint")
    good.locator("input[name=name]").fill("here")
    good.locator("input[name=url]").fill("unix:///var/run/docker.sock")
    with page.expect_navigation():
        good.locator("button[type=submit]").click()
    expect(page.locator("#notice")).to_contain_text("Endpoint added: engine ")
    expect(page.locator("#notice")).to_contain_text("swarm role: ")
    shot(page, "errpages-04-endpoint-checked")

    shown = page.goto(live.url + "/containers?endpoint=dead")
    assert shown is not None and shown.status == 502
    expect(page.locator("header nav a[href='/endpoints']")).to_be_visible()
    expect(page.locator(".error-text")).to_have_text("endpoint 'dead' does not answer: connection refused")
    expect(page.locator(".advice")).to_contain_text(f"listens on {dead_url}")
    assert "Errno" not in page.content() and "Error 502" not in page.content()
    shot(page, "errpages-05-dead-endpoint")
    phone = browser.new_context(viewport={"width": 375, "height": 740})
    small = phone.new_page()
    log_in(small, live.url, "admin")
    small.goto(live.url + "/containers?endpoint=dead")
    expect(small.locator(".advice")).to_contain_text(f"listens on {dead_url}")
    shot(small, "errpages-06-dead-endpoint-375")
    small.goto("about:blank")
    phone.close()


def test_a_registry_is_checked_on_save_and_changes_say_they_succeeded(live, page, registry):
    page.expected_failures.extend(EXPECTED)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live.url, "admin")
    page.goto(live.url + "/registries")
    page.locator("summary", has_text="Add a registry").click()
    form = page.locator("#new-registry")
    dead = f"127.0.0.1:{free_port()}"
    form.locator("input[name=name]").fill("gone")
    form.locator("input[name=address]").fill(dead)
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_contain_text(f"registry at {dead} not saved: no registry answers")
    expect(form.locator(".form-error")).to_contain_text(f"listens on {dead}")
    form.locator("input[name=name]").fill("bed")
    form.locator("input[name=address]").fill(registry.address)
    form.locator("textarea[name=ca_pem]").fill(registry.ca.read_text())
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#notice")).to_have_text(
        "Registry added: registry/2.0 answers over https, no credentials needed"
    )
    shot(page, "errpages-07-registry-checked")
    with page.expect_navigation():
        page.locator("#registries tr", has_text="bed").locator("button.danger").click()
    expect(page.locator("#notice")).to_have_text("Registry bed removed.")
    page.click("#logout")
    expect(page).to_have_url(live.url + "/login")
    expect(page.locator("#notice")).to_have_text("Logged out.")
