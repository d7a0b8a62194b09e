"""Attacks on the secrets, configs and events pages and their API, on a real console and swarm.

- Markup as a secret's or config's name is refused (422, the engine's name grammar) and
  nothing is made; markup in labels, in a config's content and in the events page's filter
  (reflected) comes out escaped: the raw payload is in no page, and headless Chromium loading
  the pages sees no dialog, no injected element and no script error or CSP violation.
- A change without the session's CSRF token (none, or another session's) is refused (403)
  and changes nothing: no secret made, none removed; an API token needs none.
- A secret's value is in no answer, page or audit entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import ARGS, CHROMIUM

from .harness import CSRF_HEADER, PASSWORD, PREFIX, Served, remove_prefixed

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TPL = "{{7*7}}"
PAYLOADS = (SCRIPT, IMG)
VALUE = "sdsec-value-never-shown"
INJECTED = """() => [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes]
  .filter((a) => a.name.startsWith('on') || (a.name === 'src' && a.value === 'x'))
  .map((a) => `<${el.tagName}> ${a.name}=${a.value}`))"""


@pytest.fixture(scope="module")
def seeded(served: Served, swarm) -> Iterator[dict[str, str]]:
    """A secret and a config with markup in their labels (and the config's content): their IDs."""
    oper = served.session("oper")
    ids = {}
    for kind in ("secret", "config"):
        made = oper.post(
            f"/api/{kind}s",
            data={
                "name": f"{PREFIX}-xss-{kind}",
                "text": VALUE if kind == "secret" else SCRIPT + IMG + TPL,
                "labels": json.dumps({"note": SCRIPT + IMG + TPL}),
            },
        )
        assert made.status_code == 201, made.text
        ids[kind] = made.json()["id"]
    yield ids
    remove_prefixed(swarm.manager)


def escaped_only(html: str, what: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{what}: raw {payload!r}"
    assert "alert(1)&gt;49" not in html and "alert(1)>49" not in html, f"{what}: the template ran"
    assert VALUE not in html, f"{what}: a secret's value"


@pytest.mark.parametrize("kind", ["secret", "config"])
@pytest.mark.parametrize("name", [SCRIPT, IMG, "a/../../users/x", "x" * 65])
def test_markup_or_a_path_as_a_name_is_refused_and_makes_nothing(served: Served, swarm, kind, name):
    oper = served.session("oper")
    answer = oper.post(f"/api/{kind}s", data={"name": name, "text": "a"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/json")  # never HTML
    lister = swarm.manager.secrets.list if kind == "secret" else swarm.manager.configs.list
    assert name not in {o.name for o in lister()}


def test_labels_content_and_filters_come_out_escaped(served: Served, seeded):
    viewer = served.session("viewer")
    pages = [
        "/secrets",
        "/configs",
        f"/secrets/{seeded['secret']}",
        f"/configs/{seeded['config']}",
    ]
    for url in pages:
        answer = viewer.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
        escaped_only(answer.text, url)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text, url
    reflected = viewer.get("/events", params={"name": SCRIPT + IMG + TPL, "type": ["config"]})
    assert reflected.status_code == 200
    escaped_only(reflected.text, "/events?name=…")
    assert viewer.get("/events", params={"type": SCRIPT}).status_code == 422
    for kind in ("secret", "config"):
        for answer in (viewer.get(f"/api/{kind}s"), viewer.get(f"/api/{kind}s/{seeded[kind]}")):
            assert VALUE not in answer.text
    entries = served.store.list_audit(0, 200)[0]
    assert entries and all(VALUE not in e.target + e.result for e in entries)


def test_no_payload_runs_in_a_browser(served: Served, seeded):
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context()
            login = context.request.post(
                f"{served.url}/api/auth/login", data={"username": "viewer", "password": PASSWORD}
            )
            assert login.ok, login.text()
            page = context.new_page()
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            for url in (
                "/secrets",
                "/configs",
                f"/secrets/{seeded['secret']}",
                f"/configs/{seeded['config']}",
                f"/events?type=config&since=60&name={PREFIX}",
            ):
                page.goto(served.url + url, wait_until="load")
                page.wait_for_timeout(300)  # the live stream, the events' rows
                problems += [f"{url}: {x}" for x in page.evaluate(INJECTED)]
                assert VALUE not in page.content(), url
            # the events page drew the config's creation (its name links to its page)
            link = page.locator("#events tbody tr[data-type=config] a").first
            assert link.get_attribute("href") == f"/configs/{seeded['config']}?endpoint=local"
            page.goto("about:blank")
            context.close()
        finally:
            browser.close()
    assert problems == []


@pytest.mark.parametrize("kind", ["secret", "config"])
def test_changes_without_the_csrf_token_are_refused_and_change_nothing(served: Served, swarm, kind):
    lister = swarm.manager.secrets.list if kind == "secret" else swarm.manager.configs.list
    name = f"{PREFIX}-csrf-{kind}"
    forged = served.login("oper", send_csrf=False)
    other = served.login("oper")  # another session of the same user: its token is not this one's
    before = served.audit_total()
    assert forged.post(f"/api/{kind}s", data={"name": name, "text": "a"}).status_code == 403
    forged.headers[CSRF_HEADER] = served.csrf[id(other)]
    assert forged.post(f"/api/{kind}s", data={"name": name, "text": "a"}).status_code == 403
    assert name not in {o.name for o in lister()}

    made = served.session("oper").post(f"/api/{kind}s", data={"name": name, "text": "a"})
    assert made.status_code == 201, made.text
    del forged.headers[CSRF_HEADER]
    assert forged.delete(f"/api/{kind}s/{name}").status_code == 403
    forged.headers[CSRF_HEADER] = ""
    assert forged.delete(f"/api/{kind}s/{name}").status_code == 403
    assert name in {o.name for o in lister()}
    actions = [e.action for e in served.audit_since(before)]
    assert actions.count(f"{kind}.create") == 1 and f"{kind}.remove" not in actions

    bearer = served.bearer("oper")  # a script's API token: no CSRF token needed
    assert bearer.delete(f"/api/{kind}s/{name}").status_code == 200
    assert name not in {o.name for o in lister()}


def test_the_checks_see_an_injection():
    """The checks above are not vacuous."""
    for html in (f"<p>{SCRIPT}</p>", f'<input value="{IMG}">', "<p>alert(1)>49</p>", f"<p>{VALUE}</p>"):
        with pytest.raises(AssertionError):
            escaped_only(html, "unescaped")
