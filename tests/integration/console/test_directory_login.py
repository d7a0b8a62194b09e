"""Directory (LDAP) login against a real OpenLDAP server (tests/support/ldap.py starts
Debian's slapd): the settings, the test of a login, group -> role and team mapping at login,
refusals (wrong password, no mapped group, a dead directory), and local accounts unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from swarmdeck.store import Teams
from tests.support.console import PASSWORD, store_of
from tests.support.ldap import (
    GROUPS,
    PEOPLE,
    PEOPLE_ENTRIES,
    SERVICE_DN,
    SERVICE_PASSWORD,
    Slapd,
    running_slapd,
)

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        yield server


def settings(url: str, bind_password: str = SERVICE_PASSWORD) -> dict[str, object]:
    return {
        "url": url,
        "bind_dn": SERVICE_DN,
        "bind_password": bind_password,
        "user_base": PEOPLE,
        "user_filter": "(uid={username})",
        "group_base": GROUPS,
        "group_filter": "(member={dn})",
        "mappings": [
            {"group": Slapd.group("ops"), "role": "operator", "teams": ["ops"]},
            {"group": Slapd.group("console-admins"), "role": "admin", "teams": []},
        ],
    }


def _login(app, username: str, password: str):
    return TestClient(app).post("/api/auth/login", json={"username": username, "password": password})


def pw(uid: str) -> str:
    return PEOPLE_ENTRIES[uid][0]


def test_directory_users_log_in_with_their_groups_role_and_teams(app, admin, viewer, slapd):
    Teams(store_of(app)).create("ops")
    assert viewer.put("/api/settings/directory", json=settings(slapd.url)).status_code == 403
    saved = admin.put("/api/settings/directory", json=settings(slapd.url))
    assert saved.status_code == 200, saved.text
    assert saved.json()["has_bind_password"] is True and "bind_password" not in saved.json()
    assert admin.get("/api/settings/directory").json()["url"] == slapd.url

    # The test of a login says what the user would get, and why not.
    tried = admin.post("/api/settings/directory/test", json={"username": "ann", "password": pw("ann")})
    assert tried.status_code == 200, tried.text
    assert tried.json()["role"] == "operator" and tried.json()["teams"] == ["ops"]
    assert tried.json()["dn"] == Slapd.person("ann") and "logs in as operator" in tried.json()["summary"]
    wrong = admin.post("/api/settings/directory/test", json={"username": "ann", "password": "not it at all"})
    assert (
        wrong.status_code == 400 and "refused" in wrong.json()["detail"] and "ann" in wrong.json()["detail"]
    )
    unmapped = admin.post("/api/settings/directory/test", json={"username": "carl", "password": pw("carl")})
    assert unmapped.status_code == 400 and "none of the mapped groups" in unmapped.json()["detail"]
    nobody = admin.post(
        "/api/settings/directory/test", json={"username": "zed", "password": "whatever it is"}
    )
    assert nobody.status_code == 400 and "no user matches (uid=zed)" in nobody.json()["detail"]
    assert TestClient(app).get("/api/auth/me").status_code == 401  # the test logged nobody in

    # Logins: the role and teams follow the groups.
    ann = _login(app, "ann", pw("ann"))
    assert ann.status_code == 200, ann.text
    assert ann.json()["role"] == "operator"
    assert "ann" in Teams(store_of(app)).get("ops").members
    bob = _login(app, "bob", pw("bob"))
    assert bob.status_code == 200 and bob.json()["role"] == "admin"
    assert _login(app, "ann", "not it at all").status_code == 401
    assert _login(app, "carl", pw("carl")).status_code == 401
    assert _login(app, "zed", "whatever it is").status_code == 401

    # Local accounts keep working, and the directory's "admin" does not take over the local one.
    assert _login(app, "oper", PASSWORD).status_code == 200
    assert _login(app, "admin", PASSWORD).json()["role"] == "admin"
    assert _login(app, "admin", pw("admin")).status_code == 401

    # A directory user's password is the directory's; their teams follow the mappings.
    session = TestClient(app)
    csrf = session.post("/api/auth/login", json={"username": "ann", "password": pw("ann")}).json()[
        "csrf_token"
    ]
    changed = session.post(
        "/api/auth/password",
        json={"current_password": pw("ann"), "new_password": "a new local password for ann"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 409 and "the directory's" in changed.json()["detail"], changed.text
    Teams(store_of(app)).create("night")
    moved = settings(slapd.url) | {
        "mappings": [{"group": Slapd.group("ops"), "role": "read-only", "teams": ["night"]}]
    }
    assert admin.put("/api/settings/directory", json=moved).status_code == 200
    again = _login(app, "ann", pw("ann"))
    assert again.status_code == 200 and again.json()["role"] == "read-only"
    teams = {t.name: t.members for t in Teams(store_of(app)).list()}
    assert "ann" in teams["night"] and "ann" not in teams["ops"]
    assert _login(app, "bob", pw("bob")).status_code == 401  # console-admins no longer mapped

    audit = admin.get("/api/audit").json()
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert any(r["action"] == "settings.directory" and r["result"] == "ok" for r in rows)
    assert any(r["action"] == "settings.directory.test" for r in rows)


def test_a_bad_bind_or_a_dead_directory_is_said_and_local_logins_go_on(app, admin, slapd, tmp_path: Path):
    Teams(store_of(app)).create("ops")
    put = admin.put(
        "/api/settings/directory", json=settings(slapd.url, bind_password="wrong-service-password")
    )
    assert put.status_code == 200, put.text
    tried = admin.post("/api/settings/directory/test", json={"username": "ann", "password": pw("ann")})
    assert tried.status_code == 400 and "refused the console's bind" in tried.json()["detail"]
    with running_slapd(tmp_path / "gone") as gone:
        url = gone.url
    assert admin.put("/api/settings/directory", json=settings(url)).status_code == 200
    dead = admin.post("/api/settings/directory/test", json={"username": "ann", "password": pw("ann")})
    assert dead.status_code == 400 and "does not answer" in dead.json()["detail"], dead.text
    assert _login(app, "ann", pw("ann")).status_code == 401
    assert _login(app, "oper", PASSWORD).status_code == 200


def test_bad_settings_are_refused_and_change_nothing(app, admin, slapd):
    Teams(store_of(app)).create("ops")
    assert admin.put("/api/settings/directory", json=settings(slapd.url)).status_code == 200
    before = admin.get("/api/settings/directory").json()
    for change, reason in [
        ({"url": "http://x"}, "ldap://"),
        ({"user_filter": "(uid=fixed)"}, "{username}"),
        ({"mappings": []}, "at least one group"),
        (
            {"mappings": [{"group": Slapd.group("ops"), "role": "operator", "teams": ["nope"]}]},
            "no such team: nope",
        ),
    ]:
        answer = admin.put("/api/settings/directory", json=settings(slapd.url) | change)
        assert answer.status_code == 400 and reason in answer.json()["detail"], (change, answer.text)
    assert admin.get("/api/settings/directory").json() == before
