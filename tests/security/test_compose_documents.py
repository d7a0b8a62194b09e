"""Compose sent to the console is a document, not a directory (issue 10, item 2).

A stack deployed through the API with ``env_file: /path/on/the/console/host`` copied that
file into the service's environment; a plan echoed a key file's bytes and told whether a
path exists. Replayed here against a live console on the real engine (a swarm manager), as
an operator, with real files on the console's host: every key that would read the console's
disk or resolve a path against it is refused at its line, the answer and the audit log carry
none of the files' bytes, and an existing and a missing path get the same answer.
"""

from __future__ import annotations

import time
import uuid

import docker.errors
import pytest

from swarmdeck.compose import load

RUN = uuid.uuid4().hex[:8]
SECRET_LINE = f"API_TOKEN=console-secret-{RUN}"
KEY_BYTES = b"-----BEGIN OPENSSH PRIVATE KEY-----\n\xff\xfe" + RUN.encode() + b"\x00\x01key\n"


@pytest.fixture
def host_files(tmp_path):
    """Files on the console's host: an env file with a secret, a key file (not UTF-8)."""
    env_file = tmp_path / "console.env"
    env_file.write_text(SECRET_LINE + "\n")
    key_file = tmp_path / "id_ed25519"
    key_file.write_bytes(KEY_BYTES)
    return {"env": str(env_file), "key": str(key_file), "missing": str(tmp_path / "no-such-file")}


@pytest.fixture
def oper(live, engine):
    """An operator's session; whatever a deploy that should have been refused made is removed."""
    assert engine.info()["Swarm"].get("ControlAvailable"), "the test engine must be a swarm manager"
    yield live.login("oper")
    label = {"label": f"com.docker.stack.namespace=sdcd{RUN}"}
    for service in engine.services.list(filters=label):
        service.remove()
    deadline = time.monotonic() + 60
    for network in engine.networks.list(filters=label):
        while True:  # in use until the removed service's tasks are gone
            try:
                network.remove()
                break
            except docker.errors.APIError:
                assert time.monotonic() < deadline, f"network {network.name} stays in use"
                time.sleep(1)


def deploy(client, text: str, plan: bool = True, env: dict | None = None):
    return client.post(
        f"/api/stacks/sdcd{RUN}/deploy", json={"compose": text, "plan": plan, "env": env or {}}
    )


def web(extra: str, top: str = "", image: str = "busybox:1") -> str:
    return f'version: "3.8"\nservices:\n  web:\n    image: {image}\n{extra}{top}'


def problems(answer) -> list[tuple[int, str, str]]:
    assert answer.status_code == 422, answer.text
    return [(p["line"], p["path"], p["message"]) for p in answer.json()["problems"]]


def assert_no_file_bytes(text: str) -> None:
    assert f"console-secret-{RUN}" not in text
    assert RUN not in text.replace(f"sdcd{RUN}", "")  # the key file's marker
    assert "BEGIN OPENSSH" not in text and "255, 254" not in text  # bytes, as a list


@pytest.mark.parametrize("plan", [True, False])
def test_env_file_is_refused_and_never_read(oper, live, host_files, plan, engine):
    for path in (host_files["env"], host_files["key"]):
        answer = deploy(oper, web(f"    env_file: {path}\n"), plan=plan)
        ((line, key, message),) = problems(answer)
        assert (line, key) == (5, "services.web.env_file")
        assert "would be read from the console's own disk" in message
        assert "`environment:`" in message
        assert_no_file_bytes(answer.text)
    assert not engine.services.list(filters={"label": f"com.docker.stack.namespace=sdcd{RUN}"})
    audit = live.login("admin").get("/api/audit?per_page=500").json()["items"]
    assert_no_file_bytes(str([e for e in audit if e["action"].startswith("stack.")]))


def test_an_existing_path_and_a_missing_one_get_the_same_answer(oper, host_files):
    answers = []
    for path in (host_files["key"], host_files["missing"], "/etc/shadow", "/root/.ssh/id_rsa"):
        text = web(
            f"    env_file: {path}\n    secrets: [key]\n",
            f"secrets:\n  key:\n    file: {path}\nconfigs:\n  c:\n    file: {path}\n",
        )
        answer = deploy(oper, text)
        assert answer.status_code == 422
        answers.append(answer.text.replace(path, "PATH"))
    assert len(set(answers)) == 1, answers
    assert "PATH" not in answers[0]  # not even the path is repeated


def test_secret_and_config_files_are_refused_with_what_to_do(oper, host_files):
    text = web(
        "    secrets: [key]\n    configs: [conf]\n",
        f"secrets:\n  key:\n    file: {host_files['key']}\n"
        f"configs:\n  conf:\n    file: {host_files['env']}\n",
    )
    found = problems(deploy(oper, text))
    assert [(line, key) for line, key, _ in found] == [(9, "secrets.key.file"), (12, "configs.conf.file")]
    assert "create the secret first (`docker secret create`) and declare it `external: true`" in found[0][2]
    assert "create the config first" in found[1][2]
    assert_no_file_bytes(str(found))


def test_extends_file_is_refused(oper, host_files):
    ((line, key, message),) = problems(
        deploy(oper, web(f"    extends:\n      file: {host_files['env']}\n      service: base\n"))
    )
    assert (line, key) == (5, "services.web.extends")
    assert "not implemented" in message


def test_binds_are_not_resolved_against_the_console(oper, tmp_path, monkeypatch):
    """A relative bind would be the console's working directory, '~' the console's home."""
    monkeypatch.chdir(tmp_path)
    found = problems(
        deploy(
            oper,
            web(
                "    volumes:\n      - ./data:/data\n      - ~/.ssh:/keys\n"
                "      - type: bind\n        source: ../../etc\n"
                "        target: /etc2\n"
            ),
        )
    )
    assert [(line, key) for line, key, _ in found] == [
        (6, "services.web.volumes.0"),
        (7, "services.web.volumes.1"),
        (8, "services.web.volumes.2"),
    ]
    assert "resolved against the console's working directory" in found[0][2]
    assert "expanded from the console's home directory" in found[1][2]
    assert str(tmp_path) not in str(found)


def test_a_build_context_is_refused(oper):
    ((line, key, message),) = problems(deploy(oper, web("    build: .\n")))
    assert (line, key) == (5, "services.web.build")
    assert "build and push the image first" in message


def test_the_console_dot_env_is_not_read(oper, tmp_path, monkeypatch, busybox_image):
    """A .env in the console's working directory never fills a variable; the variables sent
    with the deploy do."""
    (tmp_path / ".env").write_text(f"LEAK_IMAGE={busybox_image}\n")
    monkeypatch.chdir(tmp_path)
    text = web("", image="${LEAK_IMAGE}")
    ((line, key, message),) = problems(deploy(oper, text))
    assert (line, key, message) == (
        4,
        "services.web",
        "invalid image reference for service web: no image specified",
    )
    planned = deploy(oper, text, env={"LEAK_IMAGE": busybox_image})
    assert planned.status_code == 200, planned.text


def test_the_cli_still_reads_files(host_files, tmp_path):
    """The same keys from the CLI (it runs as its user, on the user's files) work as before."""
    (tmp_path / "docker-compose.yml").write_text(web(f"    env_file: {host_files['env']}\n"))
    loaded = load([tmp_path / "docker-compose.yml"], env={})
    assert loaded.project.services["web"].environment == {"API_TOKEN": f"console-secret-{RUN}"}
