"""Client-side path traversal (issue 10, item 4), replayed in headless Chromium on the real
engine: a service labelled com.docker.stack.namespace=../users/x (anyone who can create
services sets labels) used to put /api/stacks/../users/x behind the stacks page's "remove"
button, and an admin's click sent DELETE /api/users/x. Now the click sends the name as one
encoded segment, which the console refuses, and nothing else is touched. Hostile markup in
the same label is shown as text. Screenshots in artifacts/console/security-*."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from swarmdeck.console.pages import segment
from swarmdeck.store import Role
from tests.support.browser import log_in, shot
from tests.support.console import PASSWORD
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.slow]
STACK_LABEL = "com.docker.stack.namespace"
TRAVERSAL = "../users/x"
# More names that would climb once a browser resolves dot-segments (it resolves "%2E%2E" too):
# none of them can be one segment the console decodes back, so their removal is refused.
CLIMBERS = ["..", ".", "../../api/users/x"]
# A name that merely looks encoded is one segment like any other: its own removal works.
LOOKS_ENCODED = "%2e%2e"
XSS = ['<img src=x onerror="window.__xss=1">', '"><script>window.__xss=2</script>']


def users(server) -> set[str]:
    return {u.username for u in server.app.state.console.store.list_users()}


def make_stack_service(swarm_cleanup, image: str, namespace: str):
    """A service in stack NAMESPACE made straight through the engine (no console in between),
    with no replicas: nothing runs, only its labels matter."""
    return swarm_cleanup.service(
        image,
        ["true"],
        name=unique_name("sdct-trav"),
        labels={STACK_LABEL: namespace},
        mode={"Replicated": {"Replicas": 0}},
    )


def stack_row(tab, name: str):
    return tab.locator("#stacks tbody tr").filter(
        has=tab.locator("td.col-name a", has_text=re.compile(f"^{re.escape(name)}$"))
    )


def test_removing_a_traversing_stack_name_removes_nothing_else(
    live,
    page,
    swarm,
    swarm_cleanup,
    registry_busybox_image,
):
    store = live.app.state.console.store
    store.create_user("x", PASSWORD, Role.READ_ONLY)
    before = users(live)
    assert {"admin", "x"} <= before
    decoy = swarm_cleanup.stack(unique_name("sdct-decoy"))
    decoy_service = make_stack_service(swarm_cleanup, registry_busybox_image, decoy)
    # A name outside the stack grammar (LOOKS_ENCODED included: it would decode to ".." on a
    # careless server) is refused by the route (422) once its segment arrives intact.
    refused = [TRAVERSAL, *CLIMBERS, LOOKS_ENCODED]
    evil = {name: make_stack_service(swarm_cleanup, registry_busybox_image, name) for name in refused}

    sent: list[tuple[str, str]] = []
    page.on("request", lambda r: sent.append((r.method, r.url.removeprefix(live.url))))
    page.on("dialog", lambda d: d.accept())  # hx-confirm: the admin says yes
    # the refused removals: 404 (no route: a dot-segment) or 422 (no stack name)
    page.expected_failures.extend(["status of 404 (Not Found)", "status of 422 (Unprocessable Entity)"])
    page.expected_failures.extend(  # htmx reports each refusal on the console
        f"Error Code {code} from /api/stacks/{segment(n)}?endpoint=local, [object HTMLButtonElement]"
        for n in refused
        for code in (404, 422)
    )
    log_in(page, live.url, "admin")
    page.goto(live.url + "/stacks")
    for name in [*refused, decoy]:
        expect(stack_row(page, name)).to_have_count(1)
    shot(page, "security-01-stacks-traversal")

    # The page's own segment() (app.js) matches the template filter, dot-segments included.
    for name in refused:
        assert page.evaluate("segment", name) == segment(name)
        resolved = "n => new URL('/api/stacks/' + segment(n) + '/deploy', location.origin).pathname"
        assert page.evaluate(resolved, name) == f"/api/stacks/{segment(name)}/deploy"

    def click_remove(name: str) -> int:
        """Click stack NAME's remove (confirmed); check what the browser sent; its status."""
        row = stack_row(page, name)
        button = row.locator("button", has_text="remove")
        assert button.get_attribute("hx-delete") == f"/api/stacks/{segment(name)}"
        assert row.locator("a").get_attribute("href") == f"/stacks/{segment(name)}?endpoint=local"
        sent.clear()
        with page.expect_response(lambda r: r.request.method == "DELETE") as answer:
            button.click()
        deletes = [url for method, url in sent if method == "DELETE"]
        assert deletes == [f"/api/stacks/{segment(name)}?endpoint=local"], (name, deletes)
        path = urlsplit(deletes[0]).path
        assert path.startswith("/api/stacks/") and path.count("/") == 3  # one segment, encoded
        return answer.value.status

    for name in refused:
        status = click_remove(name)
        assert 400 <= status < 500, (name, status)
        expect(page.locator("#flash")).to_be_visible()  # the refusal is shown, nothing reloads
        assert users(live) == before, f"removing stack {name!r} removed a user"
        page.goto(live.url + "/stacks")
    assert not [url for _, url in sent if url.startswith("/api/users")]

    # Nothing but what was asked for was touched: every user, the other stacks, and the
    # services of the refused names themselves.
    assert users(live) == before
    manager = swarm.manager
    assert manager.services.get(decoy_service.id).attrs["Spec"]["Labels"][STACK_LABEL] == decoy
    for name, service in evil.items():
        assert manager.services.get(service.id).attrs["Spec"]["Labels"][STACK_LABEL] == name
    page.goto(live.url + "/users")
    expect(page.locator('#users tr[data-user="x"]')).to_have_count(1)

    # The removal the admin means still works, and removes only what it names.
    page.goto(live.url + "/stacks")
    assert click_remove(decoy) == 200
    expect(stack_row(page, decoy)).to_have_count(0)  # the page reloads without it
    assert not manager.services.list(filters={"label": f"{STACK_LABEL}={decoy}"})
    for name, service in evil.items():
        assert manager.services.get(service.id).attrs["Spec"]["Labels"][STACK_LABEL] == name
    assert users(live) == before
    shot(page, "security-02-stacks-after-removals")


def test_hostile_markup_in_a_stack_name_is_shown_as_text(
    live,
    page,
    swarm,
    swarm_cleanup,
    registry_busybox_image,
):
    for name in XSS:
        make_stack_service(swarm_cleanup, registry_busybox_image, name)
    # their own pages refuse them: 422, or 404 for a name with "/" (no route)
    page.expected_failures.extend(["status of 422 (Unprocessable Entity)", "status of 404 (Not Found)"])
    log_in(page, live.url, "admin")
    page.goto(live.url + "/stacks")
    for name in XSS:
        row = stack_row(page, name)
        expect(row).to_have_count(1)  # the name is the link's text, character for character
        assert row.locator("a").get_attribute("href") == f"/stacks/{segment(name)}?endpoint=local"
        assert row.locator("button").get_attribute("hx-delete") == f"/api/stacks/{segment(name)}"
        assert row.locator("button").get_attribute("hx-confirm") == f"Remove stack {name}? Volumes stay."
        # The stack's own page refuses a name outside the stack grammar, running nothing.
        answer = page.goto(live.url + f"/stacks/{segment(name)}")
        assert answer is not None and 400 <= answer.status < 500, (name, answer and answer.status)
        assert page.evaluate("window.__xss") is None
        page.goto(live.url + "/stacks")
    assert page.locator("main img, main script:not([src])").count() == 0
    assert page.evaluate("window.__xss") is None
    shot(page, "security-03-stacks-markup")


@pytest.mark.parametrize(
    "path",
    [
        "/api/stacks/..%2Fusers%2Fx",
        "/api/stacks/%2E%2E%2Fusers%2Fx",
        "/api/stacks/..%2F..%2Fapi%2Fusers%2Fx",
        "/api/stacks/x%2F..%2F..%2Fusers%2Fx",
        "/api/stacks/..%5Cusers%5Cx",
        "/stacks/..%2Fusers%2Fx",
    ],
)
def test_the_server_refuses_an_encoded_climb(live, path):
    """What the page sends (and worse) as raw bytes on the wire: refused with a 4xx, and no
    user is removed; Starlette decodes %2F before routing, so no stack route matches it."""
    live.app.state.console.store.create_user("x", PASSWORD, Role.READ_ONLY)
    client = live.login("admin")
    headers = {
        "X-CSRF-Token": client.headers["X-CSRF-Token"],
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
    }
    host = urlsplit(live.url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    try:
        for method in ("DELETE", "GET"):
            conn.request(method, path, headers=headers)  # sent as written: no client normalising
            answer = conn.getresponse()
            answer.read()
            assert 400 <= answer.status < 500, (method, path, answer.status)
    finally:
        conn.close()
    assert "x" in users(live)
