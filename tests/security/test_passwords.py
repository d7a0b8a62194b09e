"""Issue 10, item 8: common and guessable passwords are refused, with the reason, wherever a
password is set: setup, user creation (API and `swarmdeck user create`), one's own password
change and an admin's reset. Over real HTTP against a console served by uvicorn."""

from __future__ import annotations

import httpx
import pytest

from swarmdeck.console import create_app
from swarmdeck.store import Invalid
from swarmdeck.store.passwords import check_password
from tests.support.console import PASSWORD, setup_code_of
from tests.support.served import serve_app

from .auth_live import swarmdeck

COMMON = "password123456"  # long enough, and near the top of every leaked-password list
STRONG = "mauve otter ladder quietly"
WEAK = {  # password: what the refusal must say
    COMMON: "this is similar to a commonly used password",
    "qwertyuiop123": "add another word or two",
    "hunter2hunter2": 'repeats like "abcabcabc" are only slightly harder to guess',
    "1234567890": "this is a top-100 common password",
    "abcdefghijkl": 'sequences like "abc" or "6543" are easy to guess',
    "Password2024!": "add another word or two",
}


@pytest.mark.parametrize(("password", "why"), WEAK.items())
def test_the_estimator_says_why(password, why):
    with pytest.raises(Invalid, match="this password is too easy to guess") as refused:
        check_password(password, "carol")
    assert why in str(refused.value)


def test_the_username_and_the_product_do_not_make_a_password():
    for password in ("carol-carol-1", "carolcarol12", "swarmdeck2024!", "swarmdeck123"):
        with pytest.raises(Invalid, match="too easy to guess"):
            check_password(password, "carol")
    check_password(STRONG, "carol")
    check_password(PASSWORD, "carol")  # the tests' own password is a passphrase
    with pytest.raises(Invalid, match="at least 10 characters"):
        check_password("x7#Kq!2", "carol")  # random, but too short: the length rule stays


def test_weak_passwords_are_refused_everywhere_over_http(tmp_path, engine):
    data = tmp_path / "data"
    app = create_app(data)
    try:
        with serve_app(app) as url, httpx.Client(base_url=url, timeout=60) as http:
            code = setup_code_of(data)
            weak = http.post("/api/setup", json={"username": "root", "password": COMMON, "setup_code": code})
            assert weak.status_code == 400
            assert "this is similar to a commonly used password" in weak.json()["detail"]
            assert "add another word or two" in weak.json()["detail"]
            assert http.get("/api/health").json()["setup_required"] is True
            made = http.post("/api/setup", json={"username": "root", "password": STRONG, "setup_code": code})
            assert made.status_code == 201, made.text

            session = http.post("/api/auth/login", json={"username": "root", "password": STRONG})
            http.headers["X-CSRF-Token"] = session.json()["csrf_token"]
            for password, why in WEAK.items():
                refused = http.post(
                    "/api/users", json={"username": "dana", "password": password, "role": "operator"}
                )
                assert refused.status_code == 400 and why in refused.json()["detail"], refused.text
            assert "dana" not in [u["username"] for u in http.get("/api/users").json()]
            made = http.post(
                "/api/users", json={"username": "dana", "password": PASSWORD, "role": "operator"}
            )
            assert made.status_code == 201, made.text

            reset = http.patch("/api/users/dana", json={"password": "dana12345678"})  # an admin's reset
            assert reset.status_code == 400 and "too easy to guess" in reset.json()["detail"]
            reset = http.patch("/api/users/dana", json={"password": "iloveyou1234"})
            assert reset.status_code == 400 and "commonly used password" in reset.json()["detail"]

            own = http.post(
                "/api/auth/password", json={"current_password": STRONG, "new_password": "rootroot1234"}
            )
            assert own.status_code == 400 and "too easy to guess" in own.json()["detail"]
            own = http.post("/api/auth/password", json={"current_password": STRONG, "new_password": "short"})
            assert own.status_code == 400 and "at least 10 characters" in own.json()["detail"]
            # None of it changed a password: the old ones still log in.
            for username, password in (("root", STRONG), ("dana", PASSWORD)):
                assert (
                    httpx.post(
                        f"{url}/api/auth/login", json={"username": username, "password": password}
                    ).status_code
                    == 200
                )
            audit = [(e["action"], e["result"]) for e in http.get("/api/audit").json()["items"]]
            assert (
                "user.update",
                "error: this password is too easy to guess: this is similar to a "
                "commonly used password; add another word or two; uncommon words are better",
            ) in audit
    finally:
        app.state.console.close()


def test_swarmdeck_user_create_refuses_a_common_password(tmp_path):
    data = tmp_path / "data"
    refused = swarmdeck(
        "user",
        "create",
        "root",
        "--role",
        "admin",
        "--password-stdin",
        "--data-dir",
        str(data),
        stdin=COMMON + "\n",
    )
    assert refused.returncode == 1
    assert "this password is too easy to guess: this is similar to a commonly used password" in refused.stderr
    assert "Traceback" not in refused.stderr and COMMON not in refused.stderr + refused.stdout
    made = swarmdeck(
        "user",
        "create",
        "root",
        "--role",
        "admin",
        "--password-stdin",
        "--data-dir",
        str(data),
        stdin=STRONG + "\n",
    )
    assert made.returncode == 0 and "created admin user root" in made.stdout
