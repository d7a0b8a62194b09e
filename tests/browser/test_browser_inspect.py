"""The raw inspect view in headless Chromium against the real engine: a container's page links
to its inspect page, which shows the engine's JSON as a collapsible tree (collapse all / expand
all) and as plain JSON; a label holding markup and a script is shown as text and runs nothing;
a read-only user sees the environment's names, never its values. Screenshots in
artifacts/console/ (inspect-01..02)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.api import run
from tests.support.browser import log_in, shot

pytestmark = [pytest.mark.engine]
XSS = "<img src=x onerror=window.__sdctXss=1><script>window.__sdctXss=2</script>"


def test_container_inspect_is_a_collapsible_tree_and_a_label_with_markup_is_inert(
    live, janitor, busybox_image, page
):
    operator = live.login("oper")
    name = janitor.name("inspect")
    row = run(
        operator, busybox_image, name, labels={"sdct.xss": XSS}, env={"SDCT_SECRET": "inspect-hidden-value"}
    )
    log_in(page, live.url, "viewer")
    page.goto(f"{live.url}/containers/{row['id']}")
    page.click("a.inspect-link")
    expect(page.locator("h1")).to_contain_text("Inspect container")
    tree = page.locator("#inspect")
    expect(tree).to_contain_text(row["id"])
    expect(tree.locator("dt.json-key", has_text="Labels").first).to_be_visible()
    expect(tree).to_contain_text(XSS)  # the label's text, as text
    assert page.locator("#inspect img, #inspect script").count() == 0
    assert page.evaluate("window.__sdctXss === undefined")
    # read-only: the variable's name, never its value
    expect(tree).to_contain_text("SDCT_SECRET=")
    assert "inspect-hidden-value" not in page.content()
    shot(page, "inspect-01-container")
    page.click("button[data-inspect=collapse]")
    pid = tree.locator("dt.json-key", has_text=re.compile("^Pid$"))  # State.Pid: one level down
    expect(pid).to_be_hidden()
    expect(tree.locator("dt.json-key", has_text=re.compile("^State$"))).to_be_visible()  # the root stays open
    page.click("button[data-inspect=expand]")
    expect(pid).to_be_visible()
    page.click(".inspect-raw summary")
    expect(page.locator("#inspect-raw")).to_contain_text('"Id": "' + row["id"])
    shot(page, "inspect-02-container-raw")
