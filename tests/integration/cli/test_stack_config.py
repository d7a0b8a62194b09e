"""`swarmdeck stack config` against `docker stack config` (the docker CLI here has it:
`docker stack config --help` answers), on the report's compose file and the stack corpus.

The documents are compared parsed (equal data) and, since both follow the CLI's struct
order and go-yaml's layout, as text too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.paths import REPO

CORPUS = REPO / "tests" / "integration" / "stack_corpus"
CASES = {
    "friendlyhello": [REPO / "apps" / "friendlyhello" / "docker-compose.yml"],
    "full": [CORPUS / "full.yml"],
    "external": [CORPUS / "external.yml"],
    "interpolation": [CORPUS / "interpolation.yml"],
    "jobs": [CORPUS / "jobs.yml"],
    "newest": [CORPUS / "newest.yml"],
    "merged": [CORPUS / "merge_base.yml", CORPUS / "merge_override.yml"],
}
ENV = {
    "IMAGE": "busybox:1.36",
    "REPLICAS": "2",
    "APP_VERSION": "1.2",
    "PUBLISHED": "38111",
    "PLAIN": "plain",
    "GREETING": "hey",
    "EXT_NETWORK": "shared-net",
}


def run(command: list[str], files: list[Path], *extra: str) -> subprocess.CompletedProcess[str]:
    args = [arg for f in files for arg in ("-c", str(f))]
    env = {**os.environ, **ENV}
    return subprocess.run(
        [*command, "stack", "config", *args, *extra], capture_output=True, text=True, env=env, timeout=60
    )


def both(
    files: list[Path], *extra: str
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    return run([sys.executable, "-m", "swarmdeck"], files, *extra), run(["docker"], files, *extra)


@pytest.fixture(scope="module", autouse=True)
def docker_has_stack_config() -> None:
    answer = subprocess.run(["docker", "stack", "config", "--help"], capture_output=True, text=True)
    assert answer.returncode == 0 and "--skip-interpolation" in answer.stdout, answer.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_document_as_docker(case):
    ours, theirs = both(CASES[case])
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert yaml.safe_load(ours.stdout) == yaml.safe_load(theirs.stdout)
    assert ours.stdout.rstrip("\n") == theirs.stdout.rstrip("\n")


@pytest.mark.parametrize("case", ["full", "external", "friendlyhello"])
def test_skip_interpolation_same_as_docker(case):
    ours, theirs = both(CASES[case], "--skip-interpolation")
    assert (ours.returncode, theirs.returncode) == (0, 0), ours.stderr + theirs.stderr
    assert yaml.safe_load(ours.stdout) == yaml.safe_load(theirs.stdout)
    assert "${" in ours.stdout  # the variables were left as written


def test_both_refuse_what_cannot_be_interpolated(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text('version: "3.8"\nservices:\n  a:\n    image: busybox\n    deploy: {replicas: "${NOPE}"}\n')
    ours, theirs = both([bad])
    assert ours.returncode == 1 and theirs.returncode != 0
    assert ours.stdout == "" and ours.stderr.startswith("error: ") and "replicas" in ours.stderr


def test_stdin_as_docker_reads_it():
    text = CASES["friendlyhello"][0].read_text()
    env = {**os.environ, **ENV}
    ours, theirs = (
        subprocess.run(
            [*command, "stack", "config", "-c", "-"],
            input=text,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        for command in ([sys.executable, "-m", "swarmdeck"], ["docker"])
    )
    assert (ours.returncode, theirs.returncode) == (0, 0), ours.stderr + theirs.stderr
    assert ours.stdout.rstrip("\n") == theirs.stdout.rstrip("\n")
    assert "replicas: 2" in ours.stdout
