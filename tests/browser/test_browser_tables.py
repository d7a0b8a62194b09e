"""The one table component of the console's lists (issue 16) in headless Chromium against the
real engine: the search narrows the rows on the server (the page's HTML holds only matching
rows), a column sorts both ways, paging walks 2+ pages of objects the test made, the labels
column shows on demand and stays shown when the live part refreshes, a bulk remove of 3
containers lists them in its confirm and removes exactly them, a viewer sees no bulk actions
and a forged remove is refused (403) and audited as denied, and markup in a label or a search
is shown as text; the services, stacks and images lists have the same table. Screenshots go
to artifacts/console/ (tables-*)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import log_in, shot
from tests.support.console import PREFIX

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
LABEL = "swarmdeck.test.table"


def _containers(engine, janitor, image: str, count: int, run: str, **labels: str) -> list[str]:
    """``count`` created (not started) containers named ``PREFIX-<run>-NN``, labelled with the
    run; the janitor removes them (their names start with PREFIX)."""
    names = []
    for i in range(count):
        name = f"{PREFIX}-{run}-{i:02d}"
        engine.containers.create(image, ["true"], name=name, labels={LABEL: run, **labels})
        names.append(name)
    janitor.made.extend(names)
    return names


def _row_names(page: Page) -> list[str]:
    return page.locator("#containers tbody td.col-name a").all_inner_texts()


def _html_row_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)">', html)


@pytest.fixture
def run() -> str:
    return "tbl" + uuid.uuid4().hex[:6]


def test_search_sort_paging_and_labels(live, engine, janitor, busybox_image, page, run):
    names = _containers(engine, janitor, busybox_image, 12, run, team="blue")
    ids = {engine.containers.get(n).id for n in names}
    # Server-side search: the HTML itself holds only the matching rows.
    oper = live.login("oper")
    html = oper.get("/containers", params={"q": run, "per_page": 100}).text
    assert set(_html_row_ids(html)) == ids
    assert "1–12 of 12" in html
    assert oper.get("/containers", params={"sort": "nosuch"}).status_code == 400
    assert oper.get("/containers", params={"cols": "nosuch"}).status_code == 400
    assert oper.get("/containers", params={"per_page": 501}).status_code == 422

    page.set_viewport_size(WIDE)
    log_in(page, live.url, "oper")
    page.fill("input[type=search][name=q]", run)
    page.press("input[type=search][name=q]", "Enter")
    expect(page.locator("#containers tbody tr")).to_have_count(12)
    assert _row_names(page) == sorted(names)
    # Sort by name: descending, then ascending again.
    page.click("#containers th.col-name a")
    expect(page.locator("#containers th.col-name")).to_have_attribute("aria-sort", "descending")
    assert _row_names(page) == sorted(names, reverse=True)
    page.click("#containers th.col-name a")
    expect(page.locator("#containers th.col-name")).to_have_attribute("aria-sort", "ascending")
    assert _row_names(page) == sorted(names)
    # Another column, both ways (created: the order they were made in).
    page.click("#containers th.col-created a")
    expect(page.locator("#containers th.col-created")).to_have_attribute("aria-sort", "ascending")
    assert _row_names(page) == names
    page.click("#containers th.col-created a")
    expect(page.locator("#containers th.col-created")).to_have_attribute("aria-sort", "descending")
    assert _row_names(page) == names[::-1]
    # Paging: 5 a page, three pages, every row once; the live part's hx-get keeps the query.
    page.goto(f"{live.url}/containers?q={run}&per_page=5")
    seen: list[str] = []
    for expected in ("1–5 of 12", "6–10 of 12", "11–12 of 12"):
        expect(page.locator("#containers-live .pager .range")).to_have_text(expected)
        hx_get = page.locator("#containers-live").get_attribute("hx-get")
        assert f"q={run}" in hx_get and "per_page=5" in hx_get
        seen += _row_names(page)
        if expected != "11–12 of 12":
            page.click("#containers-live .pager a[rel=next]")
    assert seen == sorted(names)
    expect(page.locator("#containers-live .pager a[rel=next]")).to_have_count(0)
    assert "page=3" in page.locator("#containers-live").get_attribute("hx-get")
    # Column choice: labels hidden until asked, then shown (and kept in the query).
    page.goto(f"{live.url}/containers?q={run}")
    expect(page.locator("#containers th.labels")).to_be_hidden()
    page.click("button[data-show-labels=containers]")
    expect(page.locator("#containers th.labels")).to_be_visible()
    expect(page.locator("#containers tbody tr").first.locator("td.labels")).to_contain_text(f"{LABEL}={run}")
    assert "cols=labels" in page.url
    assert "cols=labels" in page.locator("#containers-live").get_attribute("hx-get")
    # A live refresh (a change of one of the run's containers) keeps search, and labels shown.
    engine.containers.get(names[0]).start()
    expect(page.locator("#containers tbody tr").first.locator(".state")).to_have_text(
        "exited", timeout=30_000
    )
    expect(page.locator("#containers th.labels")).to_be_visible()
    expect(page.locator("#containers tbody tr")).to_have_count(12)
    shot(page, "tables-containers-1366")
    page.set_viewport_size(PHONE)
    page.goto(f"{live.url}/containers?q={run}&per_page=5")
    shot(page, "tables-containers-375")
    page.set_viewport_size(WIDE)
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live.url}/containers?q={run}&per_page=5&cols=labels")
    shot(page, "tables-containers-dark")


def test_bulk_remove_lists_and_removes_exactly_the_chosen(live, engine, janitor, busybox_image, page, run):
    names = _containers(engine, janitor, busybox_image, 5, run)
    chosen, kept = names[:3], names[3:]
    chosen_ids = {engine.containers.get(n).id for n in chosen}
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "oper")
    page.goto(f"{live.url}/containers?q={run}")
    bar = page.locator("[data-bulk-for=containers]")
    expect(bar.locator("button[data-bulk-action=remove]")).to_be_disabled()
    for name in chosen:
        page.locator(f"#containers input[data-select][data-name='{name}']").check()
    expect(bar.locator(".bulk-count")).to_have_text("3 selected")
    bar.locator("button[data-bulk-action=remove]").click()
    dialog = page.locator("dialog[data-bulk-confirm=containers]")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Remove these 3 containers?")
    assert dialog.locator(".bulk-list li").all_inner_texts() == chosen
    shot(page, "tables-bulk-confirm-1366")
    dialog.locator("[data-confirm-go]").click()
    expect(page.locator("#notice")).to_contain_text("remove: 3 done", timeout=30_000)
    for name in chosen:
        expect(page.locator("#notice")).to_contain_text(name)
    left = {c.name for c in engine.containers.list(all=True, filters={"label": f"{LABEL}={run}"})}
    assert left == set(kept)
    expect(page.locator("#containers tbody tr")).to_have_count(2)
    audit = (
        live.login("admin").get("/api/audit", params={"action": "container.remove", "per_page": 50}).json()
    )
    assert chosen_ids <= {e["target"] for e in audit["items"] if e["result"] == "ok"}
    shot(page, "tables-bulk-done-1366")


def test_viewer_sees_no_bulk_actions_and_a_forged_remove_is_refused(
    live, engine, janitor, busybox_image, page, run
):
    names = _containers(engine, janitor, busybox_image, 2, run)
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "viewer")
    page.goto(f"{live.url}/containers?q={run}")
    expect(page.locator("#containers tbody tr")).to_have_count(2)
    expect(page.locator("[data-bulk-for]")).to_have_count(0)
    expect(page.locator("input[data-select]")).to_have_count(0)
    for path in ("/services", "/stacks", "/images", "/volumes", "/networks"):
        page.goto(live.url + path)
        expect(page.locator("table[data-table]")).to_be_visible()
        expect(page.locator("[data-bulk-for]")).to_have_count(0)
    shot(page, "tables-networks-viewer-1366")
    page.emulate_media(color_scheme="dark")
    page.goto(live.url + "/images")
    shot(page, "tables-images-viewer-dark")
    # What table.js would send, forged by the viewer: refused, audited, nothing removed.
    viewer = live.login("viewer")
    for name in names:
        answer = viewer.delete(f"/api/containers/{name}", params={"force": "true"})
        assert answer.status_code == 403, answer.text
    assert {c.name for c in engine.containers.list(all=True, filters={"label": f"{LABEL}={run}"})} == set(
        names
    )
    audit = live.login("admin").get("/api/audit", params={"per_page": 100}).json()["items"]
    denied = [e for e in audit if e["user"] == "viewer" and e["result"] == "denied"]
    assert {f"DELETE /api/containers/{n}" for n in names} <= {e["action"] for e in denied}


def test_markup_in_a_label_or_a_search_is_text(live, engine, janitor, busybox_image, page, run):
    markup = "<img src=x onerror=\"document.body.dataset.xss='1'\">"
    _containers(engine, janitor, busybox_image, 1, run, note=markup)
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "oper")
    page.goto(f"{live.url}/containers?q={run}&cols=labels")
    expect(page.locator("#containers td.labels")).to_contain_text(f"note={markup}")
    page.fill("input[type=search][name=q]", markup)
    page.press("input[type=search][name=q]", "Enter")
    expect(page.locator("#containers tbody")).to_contain_text(f"No containers match “{markup}”")
    expect(page.locator("input[type=search][name=q]")).to_have_value(markup)
    assert page.locator("#containers img").count() == 0
    assert page.evaluate("document.body.dataset.xss") is None


def test_volumes_and_networks_search_and_sort(live, engine, janitor, page, run):
    volumes = [f"{PREFIX}-{run}-v{i}" for i in range(3)]
    networks = [f"{PREFIX}-{run}-n{i}" for i in range(3)]
    for name in volumes:
        engine.volumes.create(name, labels={LABEL: run})
    for name in networks:
        engine.networks.create(name, labels={LABEL: run})
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "oper")
    for path in ("/services", "/stacks", "/images"):  # every list has the table and its bulk bar
        page.goto(live.url + path)
        expect(page.locator("[data-bulk-for] button[data-bulk-action=remove]")).to_be_disabled()
    for path, table, made in (("/volumes", "volumes", volumes), ("/networks", "networks", networks)):
        html = live.login("oper").get(path, params={"q": run}).text
        assert len(_html_row_ids(html)) == 3
        page.goto(f"{live.url}{path}?q={run}")
        rows = page.locator(f"#{table} tbody tr")
        expect(rows).to_have_count(3)
        page.click(f"#{table} th.col-name a")
        expect(page.locator(f"#{table} th.col-name")).to_have_attribute("aria-sort", "descending")
        expect(rows.first).to_contain_text(made[-1])
        page.click(f"button[data-show-labels={table}]")
        expect(rows.first.locator("td.labels")).to_contain_text(f"{LABEL}={run}")
    shot(page, "tables-networks-1366")


def test_bulk_remove_says_what_failed(live, engine, janitor, busybox_image, page, run):
    volumes = [f"{PREFIX}-{run}-v{i}" for i in range(3)]
    for name in volumes:
        engine.volumes.create(name, labels={LABEL: run})
    user = f"{PREFIX}-{run}-user"
    engine.containers.create(busybox_image, ["true"], name=user, volumes=[f"{volumes[0]}:/data"])
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "oper")
    page.goto(f"{live.url}/volumes?q={run}-v")
    expect(page.locator("#volumes tbody tr")).to_have_count(3)
    page.check("#volumes input[data-select-all]")
    bar = page.locator("[data-bulk-for=volumes]")
    expect(bar.locator(".bulk-count")).to_have_text("3 selected")
    bar.locator("button[data-bulk-action=remove]").click()
    dialog = page.locator("dialog[data-bulk-confirm=volumes]")
    assert dialog.locator(".bulk-list li").all_inner_texts() == volumes
    page.expected_failures.append("status of 409 (Conflict)")  # type: ignore[attr-defined]
    dialog.locator("[data-confirm-go]").click()
    notice = page.locator("#notice")
    expect(notice).to_contain_text("remove: 2 done", timeout=30_000)
    expect(notice).not_to_contain_text("failed")
    expect(page.locator("#flash")).to_contain_text(f"remove: 1 failed: {volumes[0]} (")
    expect(page.locator("#flash")).to_contain_text("in use")
    assert {v.name for v in engine.volumes.list(filters={"label": f"{LABEL}={run}"})} == {volumes[0]}
    expect(page.locator("#volumes tbody tr[data-id]")).to_have_count(1)
    shot(page, "tables-bulk-failed-1366")
