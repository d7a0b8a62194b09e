"""What `swarmdeck up` promises about the console, checked from outside as a user would."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

CONSOLE_PORT = 9000
CONSOLE_LABEL = {"label": "com.docker.stack.namespace=swarmdeck"}


def setup_code_printed(stdout: str, address: str) -> str:
    """The code in up's line "Create the first admin at http://ADDRESS:9000/setup with setup code …"."""
    found = re.search(
        rf"Create the first admin at http://{re.escape(address)}:{CONSOLE_PORT}/setup "
        r"with setup code (\S+)",
        stdout,
    )
    assert found, stdout
    return found.group(1)


def health(address: str) -> dict:
    answer = httpx.get(f"http://{address}:{CONSOLE_PORT}/api/health", timeout=5)
    assert answer.status_code == 200
    return answer.json()


@contextmanager
def create_first_admin(address: str, code: str) -> Iterator[httpx.Client]:
    """Create the first admin with ``code``, log in, and give the logged-in client."""
    password = secrets.token_urlsafe(16)
    with httpx.Client(base_url=f"http://{address}:{CONSOLE_PORT}", timeout=30) as console:
        created = console.post(
            "/api/setup", json={"username": "admin", "password": password, "setup_code": code}
        )
        assert created.status_code == 201, created.text
        login = console.post("/api/auth/login", json={"username": "admin", "password": password})
        assert login.status_code == 200, login.text
        yield console
