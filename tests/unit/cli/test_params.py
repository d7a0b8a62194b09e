"""cli/params.py: parameters read without pydantic, and shown as Click shows them."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer
from typer.testing import CliRunner

from swarmdeck.cli.failing import FailingGroup


class Mode(enum.StrEnum):
    FAST = "fast"
    SLOW = "slow"


def make_app(seen: dict[str, object]) -> typer.Typer:
    app = typer.Typer(cls=FailingGroup, no_args_is_help=True)

    @app.command()
    def run(
        name: Annotated[str, typer.Argument(help="A name.")],
        files: Annotated[list[Path] | None, typer.Option("--file", "-f", help="Files.")] = None,
        count: Annotated[int, typer.Option(help="How many.")] = 3,
        ratio: Annotated[float, typer.Option(help="A ratio.")] = 0.5,
        mode: Annotated[Mode | None, typer.Option(help="A mode.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", envvar="TEST_QUIET", help="Less.")] = False,
        port: Annotated[int, typer.Option(min=1, max=65535, help="A port.")] = 80,
    ) -> None:
        """Run it."""
        seen.update(name=name, files=files, count=count, ratio=ratio, mode=mode, quiet=quiet, port=port)

    @app.command()
    def other() -> None:
        """Another command (a group of one command runs it directly)."""

    return app


def test_values_are_read_with_their_types():
    seen: dict[str, object] = {}
    runner = CliRunner()
    args = ["run", "web", "-f", "a.yml", "-f", "b.yml", "--count", "7", "--ratio", "2", "--mode", "slow"]
    done = runner.invoke(make_app(seen), args, env={"TEST_QUIET": "yes"})
    assert done.exit_code == 0, done.output
    assert seen == {
        "name": "web",
        "files": [Path("a.yml"), Path("b.yml")],
        "count": 7,
        "ratio": 2.0,
        "mode": Mode.SLOW,
        "quiet": True,
        "port": 80,
    }
    assert type(seen["count"]) is int and type(seen["mode"]) is Mode


def test_defaults_and_bad_values():
    seen: dict[str, object] = {}
    runner = CliRunner()
    assert runner.invoke(make_app(seen), ["run", "x"]).exit_code == 0
    assert (seen["files"], seen["count"], seen["mode"], seen["quiet"]) == (None, 3, None, False)
    bad = runner.invoke(make_app(seen), ["run", "x", "--count", "many"])
    assert bad.exit_code == 2 and "'many' is not a valid integer." in bad.output
    bad = runner.invoke(make_app(seen), ["run", "x", "--mode", "medium"])
    assert bad.exit_code == 2 and "'medium' is not one of 'fast', 'slow'." in bad.output
    # a constrained option keeps Typer's own reading, range check included
    assert runner.invoke(make_app(seen), ["run", "x", "--port", "0"]).exit_code == 2
    assert runner.invoke(make_app(seen), ["run", "x", "--port", "8080"]).exit_code == 0
    assert seen["port"] == 8080


def test_help_shows_click_metavars():
    text = CliRunner().invoke(make_app({}), ["run", "--help"], env={"COLUMNS": "100"}).output
    assert "Usage: root run [OPTIONS] NAME" in text
    for shown in (
        "-f, --file PATH",
        "--count INTEGER",
        "--ratio FLOAT",
        "--mode [fast|slow]",
        "-q, --quiet  ",
    ):
        assert shown in text, (shown, text)
    assert "<int>" not in text and "<str>" not in text and "{" not in text
