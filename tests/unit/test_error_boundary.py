"""One error boundary per edge: the engine's typed errors travel up untranslated, compose has
one exception root, and the CLI and the console each map every expected failure once."""

from __future__ import annotations

import ast

from typer.testing import CliRunner

from swarmdeck.cli.root import app as cli
from swarmdeck.compose.errors import ComposeError
from swarmdeck.compose.project.errors import ProjectError
from swarmdeck.compose.stack.errors import StackError
from tests.support.paths import REPO

SRC = REPO / "src" / "swarmdeck"


def _imports_docker_errors(tree: ast.AST) -> bool:
    """True when the module imports the SDK's errors or reaches them as ``docker.errors``."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "errors"
            and isinstance(node.value, ast.Name)
            and node.value.id == "docker"
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name == "docker.errors" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom):
            if node.module == "docker.errors":
                return True
            if node.module == "docker" and any(a.name == "errors" for a in node.names):
                return True
    return False


def test_only_the_engine_layer_imports_the_sdks_errors():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where.startswith("engine/"):
            continue
        if _imports_docker_errors(ast.parse(path.read_text(), str(path))):
            offenders.append(where)
    assert offenders == []


def test_the_scan_sees_every_spelling_of_the_import():
    spellings = (
        "import docker.errors",
        "from docker import errors",
        "from docker.errors import NotFound",
        "import docker\ntry:\n    pass\nexcept docker.errors.APIError:\n    pass",
    )
    for text in spellings:
        assert _imports_docker_errors(ast.parse(text)), text
    assert not _imports_docker_errors(ast.parse("import docker\nfrom docker.types import Mount"))


def test_compose_errors_share_one_root():
    assert issubclass(ProjectError, ComposeError) and issubclass(StackError, ComposeError)
    refused = StackError("nothing found in stack: web")
    assert str(refused) == "nothing found in stack: web" and refused.problems[0].file is None


def test_the_cli_reports_a_malformed_compose_file_as_one_line_at_its_place(tmp_path, monkeypatch):
    (tmp_path / "bad.yml").write_text('services:\n  web:\n    image: busybox\n    ports:\n      - "x y"\n')
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(cli, ["compose", "-f", "bad.yml", "up", "-d"])  # ps and down read no file
    assert run.exit_code == 1, run.output
    assert run.stderr.splitlines() == ["error: bad.yml:5:9: services.web.ports.0: invalid containerPort: x y"]
    assert run.exception is None or isinstance(run.exception, SystemExit)


def test_the_cli_refuses_a_bad_argument_with_exit_1_and_leaves_usage_errors_to_click():
    refused = CliRunner().invoke(cli, ["swarm", "join-token", "boss"])
    assert (
        refused.exit_code == 1 and refused.stderr.strip() == "error: role 'boss': expected worker or manager"
    )
    usage = CliRunner().invoke(cli, ["swarm", "join-token", "--no-such-option"])
    assert usage.exit_code == 2 and "error:" not in usage.stderr.splitlines()[0]


def test_the_cli_prints_messages_as_text_not_markup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(cli, ["compose", "up", "--scale", "[bold]web"])
    assert run.exit_code == 1
    assert run.stderr.strip() == "error: --scale [bold]web: expected SERVICE=NUM"
