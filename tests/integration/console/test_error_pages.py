"""Errors inside the layout (console/errorpages.py): a browser gets a page with the navigation
saying what happened and what to do, for an unknown URL, a refusal, an engine or a registry
that does not answer, and a bug; API clients get JSON for the same failures."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from swarmdeck.store import Role
from tests.support.console import PASSWORD, login

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NAV = '<nav aria-label="Main">\n    <a href="/">Home</a>\n    <a href="/containers">Containers</a>'


def page_text(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def test_an_unknown_url_is_a_page_for_browsers_and_json_for_the_api(app, viewer):
    shown = viewer.get("/no/such/page", headers=HTML)
    assert shown.status_code == 404 and shown.headers["content-type"].startswith("text/html")
    assert NAV in shown.text and "viewer" in shown.text  # the layout, logged in
    assert "there is no page or API route at /no/such/page" in shown.text
    assert "What to do:" in shown.text
    for path in ("/api/no/such/route", "/api/nothing"):
        api = viewer.get(path, headers=HTML)  # an API path stays JSON whatever Accept says
        assert api.status_code == 404 and api.json() == {"detail": f"there is no page or API route at {path}"}
    asked_json = viewer.get("/no/such/page", headers={"Accept": "application/json"})
    assert asked_json.status_code == 404 and "detail" in asked_json.json()
    fragment = viewer.get("/no/such/page", headers={**HTML, "HX-Request": "true"})
    assert fragment.headers["content-type"] == "application/json"  # htmx shows the detail itself
    anonymous = TestClient(app).get("/no/such/page", headers=HTML)
    assert anonymous.status_code == 404 and "<nav" not in anonymous.text and 'href="/login"' in anonymous.text


def test_a_refusal_is_a_403_page_in_the_layout(viewer):
    shown = viewer.get("/users", headers=HTML)
    assert shown.status_code == 403 and NAV in shown.text
    text = page_text(shown.text)
    assert "read-only users may not do this (needs admin)" in text
    assert "Ask an admin for the role or the team grant" in text
    assert viewer.get("/api/users").json() == {"detail": "read-only users may not do this (needs admin)"}


def test_a_dead_endpoint_says_what_to_check_never_a_raw_socket_error(app, admin):
    made = admin.post("/api/endpoints", json={"name": "dead", "url": "tcp://127.0.0.1:9", "force": True})
    assert made.status_code == 201, made.text
    shown = admin.get("/containers?endpoint=dead", headers=HTML)
    assert shown.status_code == 502 and NAV in shown.text
    text = page_text(shown.text)
    assert "endpoint 'dead' does not answer: connection refused" in text
    assert "Check that dockerd runs there and listens on tcp://127.0.0.1:9" in text
    assert "Errno" not in text and "Error 502" not in text
    api = admin.get("/api/containers?endpoint=dead")
    assert (
        api.status_code == 502
        and api.json()["detail"] == "endpoint 'dead' does not answer: connection refused"
    )


def test_a_dead_registry_says_what_to_check(admin):
    made = admin.post("/api/registries", json={"name": "gone", "address": "127.0.0.1:9", "force": True})
    assert made.status_code == 201, made.text
    shown = admin.get("/registries/gone", headers=HTML)
    assert shown.status_code == 502 and NAV in shown.text
    text = page_text(shown.text)
    assert "no registry answers at http://127.0.0.1:9/v2/_catalog: connection refused" in text
    assert "Check that the registry runs and listens on 127.0.0.1:9" in text and "Errno" not in text
    api = admin.get("/api/registries/gone/repositories")
    assert api.status_code == 502 and "Errno" not in api.json()["detail"]


def test_a_bug_is_a_500_page_that_shows_nothing_of_it(app):
    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken-for-the-test", broken)
    app.add_api_route("/api/broken-for-the-test", broken)
    admin = login(app, "admin")
    quiet = TestClient(app, raise_server_exceptions=False, cookies=admin.cookies)
    shown = quiet.get("/broken-for-the-test", headers=HTML)
    assert shown.status_code == 500 and NAV in shown.text
    assert "secret internals" not in shown.text and "console&#39;s log" in shown.text
    api = quiet.get("/api/broken-for-the-test")
    assert api.status_code == 500 and "secret internals" not in api.text and "detail" in api.json()


def test_a_local_engine_that_does_not_answer_says_what_to_check(make_app, tmp_path):
    app = make_app(engine_url=f"unix://{tmp_path}/no-engine.sock")
    app.state.console.store.create_user("admin", PASSWORD, Role.ADMIN)
    admin = login(app, "admin")
    shown = admin.get("/containers", headers=HTML)
    assert shown.status_code == 502 and NAV in shown.text
    text = page_text(shown.text)
    assert f"no Docker engine answers at unix://{tmp_path}/no-engine.sock (no such socket)" in text
    assert (
        f"Check that dockerd runs on the console's host and listens on unix://{tmp_path}/no-engine.sock"
        in text
    )
    assert "Errno" not in text
