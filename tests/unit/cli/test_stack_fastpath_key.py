"""The fast path's fingerprint (``cli.stack_fastpath.Key``) and its reading of the command line,
without an engine: what must change the fingerprint changes it, what it cannot follow gives no
key, and command lines it does not read plainly are left to the command line proper."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmdeck.cli import stack_fastpath
from swarmdeck.cli.stack_fastpath import Key

TEXT = """services:
  web:
    image: busybox:${TAG:-1}
    environment: [GREETING]
    volumes: ["~/data:/data"]
"""


def key(file: Path, **options: object) -> Key | None:
    given: dict = {
        "resolve_image": "always",
        "with_registry_auth": False,
        "prune": False,
        "detach": None,
        "plan": False,
    }
    given.update(options)
    return Key.of([str(file)], "web", None, **given)


@pytest.fixture
def file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "stack.yml"
    path.write_text(TEXT)
    monkeypatch.chdir(tmp_path)
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "TAG", "GREETING"):
        monkeypatch.delenv(name, raising=False)
    return path


def digest(file: Path) -> str:
    found = key(file)
    assert found is not None
    return found.digest


CHANGES = {
    "the file's bytes": lambda f, m: f.write_text(TEXT + "# edited\n"),
    "a ${VAR} set": lambda f, m: m.setenv("TAG", "2"),
    "an environment entry taken from the caller": lambda f, m: m.setenv("GREETING", "hi"),
    "HOME (for ~)": lambda f, m: m.setenv("HOME", "/elsewhere"),
    "the .env next to the file": lambda f, m: (f.parent / ".env").write_text("TAG=3\n"),
    "the endpoint": lambda f, m: m.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375"),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_what_the_specs_are_made_from_changes_the_fingerprint(
    file: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    before = digest(file)
    assert digest(file) == before  # the same inputs, the same fingerprint
    CHANGES[change](file, monkeypatch)
    assert digest(file) != before


def test_an_unrelated_variable_does_not(file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = digest(file)
    monkeypatch.setenv("SOMETHING_ELSE", "x")
    assert digest(file) == before
    assert key(file, resolve_image="never").digest != before  # type: ignore[union-attr]


@pytest.mark.parametrize("word", ["extends", "env_file", "include", "credential_spec"])
def test_files_that_read_what_the_record_does_not_follow_get_no_key(file: Path, word: str) -> None:
    file.write_text(TEXT + f"    # {word}\n")
    assert key(file) is None


@pytest.mark.parametrize(
    "options",
    [{"plan": True}, {"prune": True}, {"detach": False}, {"resolve_image": "sometimes"}],
)
def test_options_the_fast_path_leaves_alone_get_no_key(file: Path, options: dict) -> None:
    assert key(file) is not None
    assert key(file, **options) is None


def test_stdin_a_missing_file_a_context_and_ssh_get_no_key(
    file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Key.of(["-"], "web", None, resolve_image="always", with_registry_auth=False,
                  prune=False, detach=None, plan=False) is None  # fmt: skip
    assert key(file.parent / "missing.yml") is None
    assert key(file) is not None
    monkeypatch.setenv("DOCKER_HOST", "ssh://user@host")
    assert key(file) is None
    monkeypatch.delenv("DOCKER_HOST")
    monkeypatch.setenv("DOCKER_CONTEXT", "remote")
    assert key(file) is None


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-c"],
        ["-c", "stack.yml"],
        ["-c", "stack.yml", "one", "two"],
        ["--prune", "-c", "stack.yml", "web"],
        ["--plan", "-c", "stack.yml", "web"],
        ["--no-detach", "-c", "stack.yml", "web"],
        ["-c", "stack.yml", "--with-registry-auth=yes", "web"],
        ["-c", "-", "web"],
        ["--", "-c", "stack.yml", "web"],
    ],
)
def test_command_lines_not_read_plainly_are_left_to_the_command_line(
    file: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert stack_fastpath.answer_argv(args) is False
    assert capsys.readouterr() == ("", "")
