"""`swarmdeck user create` and `swarmdeck serve` (cli/console_cmds.py) as a user runs them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import typer
from typer.testing import CliRunner

from swarmdeck.cli.console_cmds import register
from swarmdeck.cli.root import app as swarmdeck_cli
from swarmdeck.console import create_app
from swarmdeck.store import Role, Store
from tests.support.console import PASSWORD, setup_code_of

# The lead wires register() into cli/main.py; until then a Typer app of its own runs it.
CLI = "import typer; from swarmdeck.cli.console_cmds import register; a = typer.Typer(); register(a); a()"


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_user_create_reads_the_password_from_stdin_only(tmp_path):
    data = tmp_path / "data"
    runner = CliRunner()
    refused = runner.invoke(cli(), ["user", "create", "root", "--role", "admin", "--data-dir", str(data)])
    assert refused.exit_code == 1 and "--password-stdin" in refused.output
    weak = runner.invoke(
        cli(),
        ["user", "create", "root", "--role", "admin", "--password-stdin", "--data-dir", str(data)],
        input="short\n",
    )
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output and "Traceback" not in weak.output
    waiting = create_app(data)  # a console started before any admin wrote its setup code
    waiting.state.console.close()
    code = setup_code_of(data)
    shown = runner.invoke(cli(), ["console", "setup-code", "--data-dir", str(data)])
    assert shown.exit_code == 0 and shown.output.strip() == code
    made = runner.invoke(
        cli(),
        ["user", "create", "root", "--role", "admin", "--password-stdin", "--data-dir", str(data)],
        input=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    assert "created admin user root" in made.output
    assert not (data / "setup-code").exists()  # spent: an admin exists
    again = runner.invoke(
        cli(), ["user", "create", "root", "--password-stdin", "--data-dir", str(data)], input=PASSWORD + "\n"
    )
    assert again.exit_code == 1 and "already exists" in again.output
    store = Store(data)
    try:
        assert store.authenticate("root", PASSWORD).role is Role.ADMIN
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_the_console(tmp_path):
    data = tmp_path / "data"
    runner = CliRunner()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--port", str(port), "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "swarmdeck serve did not answer"
                time.sleep(0.2)
        assert answer.json() == {"status": "ok", "setup_required": True}
        shown = runner.invoke(cli(), ["console", "setup-code", "--data-dir", str(data)])
        assert shown.exit_code == 0, shown.output
        code = shown.output.strip()
        assert code == setup_code_of(data)
        refused = httpx.post(
            f"http://127.0.0.1:{port}/api/setup",
            timeout=30,
            json={"username": "root", "password": PASSWORD, "setup_code": "wrong"},
        )
        assert refused.status_code == 403
        setup = httpx.post(
            f"http://127.0.0.1:{port}/api/setup",
            timeout=30,
            json={"username": "root", "password": PASSWORD, "setup_code": code},
        )
        assert setup.status_code == 201
        assert not (data / "setup-code").exists()
        gone = runner.invoke(cli(), ["console", "setup-code", "--data-dir", str(data)])
        assert gone.exit_code == 1 and "an admin exists already" in gone.output
        assert httpx.get(f"http://127.0.0.1:{port}/api/containers").status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert "/setup" in output  # it told how to create the first admin
    assert f"swarmdeck console setup-code --data-dir {data}" in output  # and where the code is
    assert PASSWORD not in output and code not in output
    assert (data / "session.key").stat().st_mode & 0o777 == 0o600


def test_serve_reads_the_database_url_from_its_file_and_refuses_a_file_without_one(tmp_path):
    # swarmdeck's own command line: its error boundary prints the one error line.
    data, runner = tmp_path / "data", CliRunner()
    empty, blank, several, url_file = (tmp_path / n for n in ("empty", "blank", "several", "url"))
    empty.write_text("")
    blank.write_text(" \n\n")
    several.write_text("postgresql+psycopg://a@h/d\npostgresql+psycopg://b@h/d\n")
    for path, why in (
        (tmp_path / "missing", "cannot read the database URL file"),
        (tmp_path, "cannot read the database URL file"),  # a directory: unreadable as a file
        (empty, "is empty"),
        (blank, "is empty"),
        (several, "holds several lines"),
    ):
        refused = runner.invoke(
            swarmdeck_cli, ["serve", "--data-dir", str(data), "--database-url-file", str(path)]
        )
        assert refused.exit_code == 1, refused.output
        assert refused.output.count("error:") == 1 and why in refused.output, refused.output
        assert str(path) in refused.output and "Traceback" not in refused.output
        assert not data.exists()  # refused before anything was made
    url_file.write_text("postgresql+psycopg://console:NotShownAnywhere@127.0.0.1:1/console\n")
    both = runner.invoke(
        swarmdeck_cli,
        ["serve", "--data-dir", str(data), "--database-url-file", str(url_file)],
        env={"SWARMDECK_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/y"},
    )
    assert both.exit_code == 1 and "not both" in both.output, both.output
    # The file's URL is the one used (nothing listens on port 1), and its password is not shown.
    used = runner.invoke(
        swarmdeck_cli, ["serve", "--data-dir", str(data), "--database-url-file", str(url_file)]
    )
    assert used.exit_code == 1 and "port 1 failed" in used.output, used.output
    assert "NotShownAnywhere" not in used.output
