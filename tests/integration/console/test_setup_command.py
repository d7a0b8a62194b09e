"""The setup page names the command that prints this console's one-time setup code, and that
command, run as the page writes it, prints the code the setup form accepts."""

from __future__ import annotations

import html
import re
import shlex

from fastapi.testclient import TestClient

from tests.support.cli import ok, swarmdeck
from tests.support.console import setup_code_of


def test_the_setup_page_names_the_command_that_prints_the_code(make_app):
    app = make_app()  # no admin yet
    page = TestClient(app).get("/setup")
    assert page.status_code == 200
    found = re.search(r'<code class="setup-code-command">([^<]+)</code>', page.text)
    assert found, page.text
    command = shlex.split(html.unescape(found.group(1)))
    data_dir = app.state.console.store.data_dir
    assert command == ["swarmdeck", "console", "setup-code", "--data-dir", str(data_dir)]
    printed = ok(swarmdeck(*command[1:])).strip()
    assert printed == setup_code_of(data_dir)
