"""Bad input at the command line: one clear line, exit code 1, never a traceback."""

import subprocess
import sys


def swarmdeck(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], capture_output=True, text=True, timeout=60
    )


def test_up_without_an_engine_says_how_to_start_one(tmp_path):
    run = swarmdeck("up", "--host", f"unix://{tmp_path}/no-engine.sock")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert f"no Docker engine answers at unix://{tmp_path}/no-engine.sock (no such socket)" in run.stderr


def test_default_socket_hint_names_the_fix(monkeypatch, tmp_path):
    from swarmdeck.engine import client

    monkeypatch.setattr(client, "DEFAULT_ENDPOINT", f"unix://{tmp_path}/docker.sock")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    try:
        client.connect()
    except client.EngineUnreachable as exc:
        assert "systemctl start docker" in str(exc) and "dockerd" in str(exc)
    else:
        raise AssertionError("connect() to a missing socket must fail")


def test_refused_tcp_endpoint():
    run = swarmdeck("swarm", "nodes", "--host", "tcp://127.0.0.1:9")
    assert run.returncode == 1
    assert "no Docker engine answers at tcp://127.0.0.1:9 (connection refused)" in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_build_arg_is_refused_before_any_engine_call(tmp_path):
    run = swarmdeck(
        "image",
        "build",
        str(tmp_path),
        "-t",
        "x:1",
        "--build-arg",
        "NOEQUALS",
        "--host",
        f"unix://{tmp_path}/none.sock",
    )
    assert run.returncode == 1
    assert "--build-arg 'NOEQUALS': expected KEY=VALUE" in run.stderr
