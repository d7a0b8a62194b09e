"""XSS payloads in every field a page shows, on a real console, engine, swarm and registry.

Payloads (``PAYLOADS``): a ``<script>`` element, an attribute break-out with an ``onerror``
handler, a ``javascript:`` URL and a template expression (``{{7*7}}``, which must come out
as written, never as 49). They go where users and the engine put text:

- through the API, as an operator or admin would: container env, labels, command (and so
  its logs), network names and labels, volume labels, service labels, env, command and
  image, node labels, API token names, endpoint URLs and TLS file paths, a registry's user
  name, and audit targets (a failed login, refused user/team/endpoint/volume names and image
  references: the refusals are checked to be 4xx);
- on the engine directly where the API refuses such strings: stack names (the namespace
  label of services made with the docker SDK);
- in an image pushed to the bed's registry: labels, env, command and build history, shown
  by the registry pages.

Every page showing them (and every page route with the payloads in its path and query
parameters, for reflected XSS) is fetched over HTTP: the raw payload never appears, no
inline script, no ``on*`` attribute and no ``javascript:`` URL is in the HTML. Then headless
Chromium loads the seeded pages: no dialog fires, no injected element exists in the DOM
after the page's own scripts ran, and no Content-Security-Policy violation is reported.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import docker
import docker.errors
import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import ARGS, CHROMIUM

from .harness import (
    PASSWORD,
    PREFIX,
    RUN,
    Served,
    fill,
    path_params,
    remove_prefixed,
    text_query_params,
    throwaway_app_routes,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "'><svg onload=alert(1)>"
JS = "javascript:alert(1)"
TPL = "{{7*7}}"
COMBINED = SCRIPT + IMG + TPL  # 63 characters: fits where 64 is the limit
MARKUP = SCRIPT + IMG  # for service env: swarm expands Go templates there ({{...}} is refused)
PAYLOADS = (SCRIPT, IMG, SVG, MARKUP, COMBINED)  # never in a page as written
EVALUATED = ("alert(1)&gt;49", "alert(1)>49")  # the template expression, evaluated
STACK = "com.docker.stack.namespace"
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
    "data-api",
    "data-then",
    "data-follow",
    "data-swarm-map",
    "data-cluster-api",
}


# --- the check of one HTML document ---------------------------------------------------------
class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.problems.append(f"an inline <script> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has an event handler attribute {name}={value!r}")
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>: a javascript: URL")
        if tag in ("img", "svg", "iframe", "object", "embed") and values.get("src") == "x":
            self.problems.append(f"an injected <{tag}> {attrs}")


def problems_in(html: str) -> list[str]:
    found = []
    for payload in PAYLOADS:
        at = html.find(payload)
        if at >= 0:
            found.append(f"raw payload {payload!r} in: …{html[max(0, at - 150) : at + 80]}…")
    for evaluated in EVALUATED:
        if evaluated in html:
            found.append(f"the template expression was evaluated: {evaluated!r}")
    parser = _Elements()
    parser.feed(html)
    return found + parser.problems


def assert_inert(answer, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"
    if answer.headers.get("content-type", "").startswith("text/html"):
        assert problems_in(answer.text) == [], what


def test_the_checks_see_an_injection():
    """The HTML checks are not vacuous: each payload, unescaped, is caught."""
    for raw in (
        f"<p>{SCRIPT}</p>",
        f'<input value="{IMG}">',
        f"<a href='{JS}'>x</a>",
        f"<b>{SVG}</b>",
        "<p>alert(1)>49</p>",
    ):
        assert problems_in(raw), raw
    escaped = '<p>&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}</p><script src="/static/app.js"></script>'
    assert problems_in(escaped) == []


# --- seeding --------------------------------------------------------------------------------
@dataclass
class Seeded:
    served: Served
    pages: dict[str, str] = field(default_factory=dict)  # page URL -> user who looks at it
    browser: list[str] = field(default_factory=list)  # the pages loaded in Chromium
    cleanups: list = field(default_factory=list)


def ok(answer, *statuses: int):
    assert answer.status_code in statuses, answer.text
    return answer.json()


def refused(answer) -> None:
    """The API refuses the string: a clear 4xx, never a 5xx."""
    assert 400 <= answer.status_code < 500, f"{answer.status_code} {answer.text[:300]}"


def build_payload_image(engine: docker.DockerClient, base: str, reference: str) -> None:
    """An image whose labels, env, command and history carry the payloads."""
    quoted = COMBINED.replace("\\", "\\\\").replace('"', '\\"')
    dockerfile = (
        f'FROM {base}\nLABEL xss="{quoted}" "{SCRIPT}"="{JS}" run="{RUN}"\nENV XSS="{quoted}"\n'
        f'CMD ["sh", "-c", "echo {quoted}"]\n'
    )
    engine.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=reference, rm=True, pull=False)


@pytest.fixture(scope="module")
def seeded(
    served: Served,
    engine: docker.DockerClient,
    swarm,
    registry,
    busybox_image: str,
    registry_busybox_image: str,
    tmp_path_factory,
) -> Iterator[Seeded]:
    s = Seeded(served)
    admin, oper = served.login("admin"), served.login("oper")
    try:
        _seed(
            s,
            admin,
            oper,
            engine,
            swarm,
            registry,
            busybox_image,
            registry_busybox_image,
            tmp_path_factory.mktemp("xss"),
        )
        yield s
    finally:
        for cleanup in reversed(s.cleanups):
            with suppress(Exception):
                cleanup()
        remove_prefixed(engine)


def _seed(
    s: Seeded, admin, oper, engine, swarm, registry, busybox_image, registry_busybox_image, scratch: Path
) -> None:
    pages = s.pages
    # A service that logs the payload (its task must start: created first, looked at last).
    service = ok(
        oper.post(
            "/api/services",
            json={
                "name": f"{PREFIX}-xss-svc",
                "image": registry_busybox_image,
                "replicas": 1,
                "endpoint_mode": "dnsrr",
                "command": ["sh", "-c", f"echo '{COMBINED}'; sleep 600"],
                "env": {"XSS": MARKUP, "JS": JS},
                "labels": {COMBINED: COMBINED, "js": JS},
            },
        ),
        201,
    )
    pages[f"/services/{service['id']}"] = "admin"
    # A service whose image is a payload: refused, or its tasks fail naming the image.
    bad_image = oper.post(
        "/api/services",
        json={"name": f"{PREFIX}-xss-img", "image": f"sdsec/x{IMG}", "replicas": 1, "endpoint_mode": "dnsrr"},
    )
    assert bad_image.status_code < 500, bad_image.text
    if bad_image.status_code == 201:
        pages[f"/services/{bad_image.json()['id']}"] = "admin"
    # Stacks named by payloads: the API refuses nothing here, but the engine's labels are free.
    for index, namespace in enumerate((IMG, JS, SCRIPT)):
        engine.services.create(
            registry_busybox_image,
            ["sleep", "600"],
            name=f"{PREFIX}-xss-stack{index}",
            labels={STACK: namespace, COMBINED: COMBINED},
            mode=docker.types.ServiceMode("replicated", 0),
            endpoint_spec=docker.types.EndpointSpec(mode="dnsrr"),
        )
    # (Their own pages refuse names outside the stack grammar with a 422: shown on the stacks
    # and services lists only; test_browser_traversal.py checks the refusal.)
    # Networks: payload labels through the API; payload names, which the API refuses, on the
    # engine directly (it takes them).
    ok(oper.post("/api/networks", json={"name": f"{PREFIX}-xss-net", "labels": {COMBINED: JS}}), 201)
    for name in (f"{PREFIX}-{IMG}", f"{PREFIX}-{SCRIPT}"):
        refused(oper.post("/api/networks", json={"name": name}))
        engine.networks.create(name, labels={JS: COMBINED})
    # A volume with payload labels (its name is refused: checked below).
    ok(oper.post("/api/volumes", json={"name": f"{PREFIX}-xss-vol", "labels": {COMBINED: COMBINED}}), 201)
    refused(oper.post("/api/volumes", json={"name": f"{PREFIX}-{IMG}"}))
    # A container with payloads in env, labels, command (so, its logs), on the payload network.
    box = ok(
        oper.post(
            "/api/containers",
            json={
                "image": busybox_image,
                "name": f"{PREFIX}-xss-box",
                "init": True,
                "network": f"{PREFIX}-{IMG}",
                "command": ["sh", "-c", f"echo '{COMBINED}'; echo '{JS}'; sleep 600"],
                "env": {"XSS": COMBINED, "JS": JS},
                "labels": {COMBINED: COMBINED, "js": JS},
                "volumes": [{"source": f"{PREFIX}-xss-vol", "target": "/data"}],
            },
        ),
        201,
    )
    pages[f"/containers/{box['id']}"] = "admin"
    pages[f"/containers/{box['id']}/stats"] = "admin"
    # Names the API (or the engine behind it) refuses; refused strings end up in the audit log.
    refused(oper.post("/api/containers", json={"image": busybox_image, "name": f"{PREFIX}-{IMG}"}))
    refused(oper.post("/api/services", json={"image": registry_busybox_image, "name": f"{PREFIX}-{IMG}"}))
    refused(oper.post(f"/api/stacks/{quote(IMG, safe='')}/deploy", json={"compose": "services: {}"}))
    refused(oper.post("/api/containers", json={"image": COMBINED, "name": f"{PREFIX}-xss-refused"}))
    refused(oper.post("/api/images/tag", json={"source": busybox_image, "target": COMBINED}))
    refused(admin.post("/api/users", json={"username": COMBINED, "password": PASSWORD, "role": "viewer"}))
    refused(admin.post("/api/teams", json={"name": COMBINED}))
    refused(admin.post("/api/endpoints", json={"name": COMBINED, "url": "unix:///var/run/docker.sock"}))
    failed = s.served.client().post("/api/auth/login", json={"username": COMBINED, "password": "wrong"})
    assert failed.status_code == 401, failed.text
    # A team and a member (their names are restricted; the page is looked at all the same).
    ok(admin.post("/api/teams", json={"name": "xss-team"}), 201)
    ok(admin.post("/api/teams/xss-team/members", json={"username": "oper"}), 201)
    # Endpoints whose URL and TLS file path carry payloads (names are restricted).
    ca = scratch / IMG.replace("/", "")
    ca.write_text("not a certificate\n")
    ok(
        admin.post(
            "/api/endpoints", json={"name": "xss-ssh", "url": f"ssh://{IMG}@sdsec.invalid", "force": True}
        ),
        201,
    )
    ok(
        admin.post(
            "/api/endpoints",
            json={"name": "xss-tls", "url": "tcp://sdsec.invalid:2376", "tls_ca": str(ca), "force": True},
        ),
        201,
    )
    ok(admin.post("/api/teams/xss-team/endpoints", json={"endpoint": "xss-ssh"}), 201)
    pages["/endpoints/xss-ssh/probe"] = "admin"
    pages["/endpoints/xss-tls/probe"] = "admin"
    # An API token named by the payload (the account page of its owner).
    ok(oper.post("/api/tokens", json={"name": COMBINED}), 201)
    pages["/account"] = "oper"
    # Node labels (set by an operator through the API; put back afterwards).
    node_a = swarm.node_a_id
    original = dict(engine.api.inspect_node(node_a)["Spec"].get("Labels") or {})
    s.cleanups.append(lambda: restore_node_labels(engine, node_a, [COMBINED, "js"]))
    ok(
        oper.put(f"/api/nodes/{node_a}/labels", json={"labels": {**original, COMBINED: COMBINED, "js": JS}}),
        200,
    )
    pages[f"/swarm/nodes/{node_a}"] = "admin"
    # Registries: a user name carrying the payload; an image whose metadata carries them.
    ca_pem = registry.ca.read_text()
    bed = {"address": registry.address, "ca_pem": ca_pem}
    ok(admin.post("/api/registries", json={"name": "bed", **bed}), 201)
    ok(
        admin.post(
            "/api/registries",
            json={"name": "xss-reg", **bed, "username": COMBINED, "password": "x", "force": True},
        ),
        201,
    )
    # One repository for every run (the registry keeps a repository's name after its last tag
    # goes); a tag and a label of this run's own, so that runs never share a manifest.
    repository, tag = "sdsec/xss", RUN
    reference = f"{registry.address}/{repository}:{tag}"
    build_payload_image(engine, busybox_image, reference)
    s.cleanups.append(lambda: engine.images.remove(reference, force=True))
    for line in engine.images.push(reference, stream=True, decode=True):
        assert "error" not in line, line
    s.cleanups.append(
        lambda: admin.delete(
            "/api/registries/bed/tags", params={"repository": repository, "tag": tag, "confirm": "true"}
        )
    )
    pages[f"/registries/bed?q={quote(repository)}"] = "admin"
    pages[f"/registries/bed/repository?repository={quote(repository)}"] = "admin"
    pages[f"/registries/bed/manifest?repository={quote(repository)}&reference={tag}"] = "admin"
    for page in (
        "/",  # the home page: events and failed tasks name containers and services
        "/containers",
        f"/containers?q={quote(PREFIX)}",
        "/images",
        "/networks",
        f"/networks?q={quote(PREFIX)}&cols=labels",
        "/volumes",
        f"/volumes?q={quote(PREFIX)}&cols=labels",
        "/services",
        f"/services?q={quote(PREFIX)}&cols=labels",
        "/stacks",
        "/swarm",
        "/endpoints",
        "/audit",
        "/users",
        "/teams",
        "/registries",
    ):
        pages[page] = "admin"
    # In the browser: the full pages that show a payload (fragments load inside their page).
    s.browser = [
        url
        for url in pages
        if not url.endswith(("/stats", "/probe"))
        and not url.startswith(
            ("/images", "/users", "/teams", "/registries/bed?", "/registries/bed/repository", "/containers?q")
        )
    ]
    wait_for_task(engine, service["id"])


def wait_for_task(engine: docker.DockerClient, service_id: str, timeout: float = 60) -> None:
    """Until the service's task runs (its log then holds the payload)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(t["Status"]["State"] == "running" for t in engine.api.tasks(filters={"service": service_id})):
            time.sleep(1)  # its first line is written
            return
        time.sleep(0.5)
    raise AssertionError(f"the task of service {service_id} did not start in {timeout:.0f} s")


def restore_node_labels(engine: docker.DockerClient, node_id: str, keys: list[str]) -> None:
    for _ in range(5):
        node = engine.api.inspect_node(node_id)
        spec = node["Spec"]
        spec["Labels"] = {k: v for k, v in (spec.get("Labels") or {}).items() if k not in keys}
        try:
            engine.api.update_node(node_id, node["Version"]["Index"], spec)
            return
        except docker.errors.APIError:
            time.sleep(0.5)  # another writer moved the version on


# --- the pages, over HTTP ---------------------------------------------------------------
def test_pages_show_the_payloads_escaped(seeded: Seeded):
    """Each seeded page answers (200, or the 409 of a swarm page off a manager) and is inert;
    the payloads did reach the pages that show them (escaped)."""
    shown = 0
    for url, user in seeded.pages.items():
        answer = _client(seeded, user).get(url)
        assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:300]}"
        assert_inert(answer, url)
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert shown >= 10, "the payloads did not reach the pages: the seeding is broken"


def test_the_payloads_are_where_they_were_put(seeded: Seeded):
    """Spot checks that the seeding worked (a broken seed would make the test above vacuous)."""
    admin = _client(seeded, "admin")
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;{{7*7}}"
    mine = f"?q={quote(PREFIX)}"  # the lists page: the seeded objects may be past the first page
    for url in ("/audit", f"/containers{mine}", f"/networks{mine}", f"/volumes{mine}", "/registries"):
        assert escaped in admin.get(url).text, url
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in admin.get(f"/services{mine}").text  # a stack name
    box = next(u for u in seeded.pages if u.startswith("/containers/") and not u.endswith("/stats"))
    page = admin.get(box).text
    assert f"XSS={escaped}" in page and page.count(escaped) >= 3  # env, label, logs
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in admin.get("/stacks").text
    manifest = next(u for u in seeded.pages if "/manifest?" in u)
    assert escaped in admin.get(manifest).text
    assert escaped in _client(seeded, "oper").get("/account").text


PAGE_ROUTES = [r for r in throwaway_app_routes() if r.kind == "page"]


REFLECTED = IMG + SVG + JS + TPL  # no "/": it fits in a path segment
QUERY_PAYLOAD = COMBINED + SVG + JS


@pytest.mark.parametrize("route", PAGE_ROUTES, ids=[r.path for r in PAGE_ROUTES])
def test_reflected_payloads_come_back_escaped(seeded: Seeded, route):
    """Every page route with a payload in each path parameter, in all its query parameters,
    and in ?endpoint= (which every resource page reads): never a raw payload, never a 5xx."""
    admin = _client(seeded, "admin")
    url = fill(route.path, {n: quote(REFLECTED, safe="") for n in path_params(route)})
    assert_inert(admin.get(url, params={"endpoint": QUERY_PAYLOAD}), f"{url}?endpoint=")
    names = [n for n in text_query_params(route) if n != "endpoint"]
    if names:  # on a registry that exists, so that the parameters are used
        url = fill(route.path, {n: "bed" for n in path_params(route)})
        assert_inert(admin.get(url, params={n: QUERY_PAYLOAD for n in names}), f"{url} {names}")


def _client(seeded: Seeded, user: str):
    return seeded.served.session(user)


# --- the pages, in a browser -----------------------------------------------------------------
def test_no_payload_runs_in_a_browser(seeded: Seeded):
    served = seeded.served
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            assert_the_browser_check_sees_an_injection(browser)
            for user in sorted({seeded.pages[url] for url in seeded.browser}):
                context = browser.new_context()
                login = context.request.post(
                    f"{served.url}/api/auth/login", data={"username": user, "password": PASSWORD}
                )
                assert login.ok, login.text()
                page = context.new_page()
                seen: list[str] = []
                page.on(
                    "dialog", lambda d, seen=seen: (seen.append(f"dialog {d.type}: {d.message}"), d.dismiss())
                )
                page.on("pageerror", lambda e, seen=seen: seen.append(f"script error: {e}"))
                page.on(
                    "console",
                    lambda m, seen=seen: (
                        seen.append(f"console: {m.text}")
                        if m.type == "error" and ("Security Policy" in m.text or "Refused to" in m.text)
                        else None
                    ),
                )
                for url in seeded.browser:
                    if seeded.pages[url] != user:
                        continue
                    page.goto(served.url + url, wait_until="load")
                    if url == "/endpoints":  # the health cells load on a click (htmx)
                        for cell in page.locator(".probe").all():  # the cells stay, their buttons go
                            cell.locator("button").click()
                        page.wait_for_timeout(1000)
                    page.wait_for_timeout(200)  # live updates, htmx fragments (the container's stats)
                    found = page.evaluate(INJECTED)
                    problems += [f"{url}: {x}" for x in found + seen]
                    seen.clear()
                page.goto("about:blank")
                context.close()
        finally:
            browser.close()
    assert problems == []


def assert_the_browser_check_sees_an_injection(browser) -> None:
    """The browser checks are not vacuous: a page with the payloads in it (no CSP) trips them."""
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_content(f"<p>{IMG}</p><a href='{JS}'>x</a>")
    page.wait_for_timeout(200)
    assert dialogs and len(page.evaluate(INJECTED)) >= 3
    page.close()


INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) found.push(`<${el.tagName}> ${a.name}=${a.value}`);
      if (/^\\s*javascript:/i.test(a.value) && ['href', 'src', 'action', 'formaction'].includes(a.name))
        found.push(`<${el.tagName}> ${a.name}=${a.value}`);
    }
  }
  for (const s of document.querySelectorAll('script:not([src])'))
    found.push(`inline script ${s.textContent}`);
  for (const el of document.querySelectorAll('img[src="x"], svg, iframe, object, embed'))
    found.push(`injected <${el.tagName}>`);
  return found;
}"""
