"""Headless Chromium for the browser tests (Debian's, driven by Playwright): a browser per
module, a page per test that fails the test on any script error or CSP violation it did not
expect, screenshots into artifacts/console/, and logging in through the login form.
A pytest plugin, registered in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.console import PASSWORD
from tests.support.paths import REPO

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = REPO / "artifacts" / "console"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    p = context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    # Failed loads a test provokes on purpose (a test adds its own, e.g. a refused form's 422).
    p.expected_failures = ["status of 401 (Unauthorized)"]  # type: ignore[attr-defined]
    yield p
    p.goto("about:blank")  # close the page's event streams while the server still runs
    context.close()
    # No script errors and no CSP violations; only the expected failed loads.
    expected = p.expected_failures  # type: ignore[attr-defined]
    assert [e for e in errors if not any(e.endswith(x) for x in expected)] == [], errors


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(tab, url: str, username: str) -> None:
    tab.goto(url + "/login")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    expect(tab).to_have_url(url + "/")  # logging in lands on the home page
    tab.goto(url + "/containers")  # where the tests using this start
