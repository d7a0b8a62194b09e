"""`--with-registry-auth`: the X-Registry-Auth value comes from the docker config file."""

from __future__ import annotations

import base64
import json

import docker

from swarmdeck.compose.stack.plan import _Resolver


def test_auth_header_for_the_images_registry_only(tmp_path, monkeypatch):
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text(
        json.dumps({"auths": {"reg.example:5443": {"auth": base64.b64encode(b"u:p").decode()}}})
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    client = docker.DockerClient(base_url="unix:///nonexistent.sock", version="1.41")
    header = _Resolver(client, with_auth=True).auth_header("reg.example:5443/team/app")
    decoded = json.loads(base64.urlsafe_b64decode(header))
    assert (decoded["username"], decoded["password"], decoded["serveraddress"]) == (
        "u",
        "p",
        "reg.example:5443",
    )
    assert _Resolver(client, with_auth=True).auth_header("busybox") is None
    assert _Resolver(client, with_auth=False).auth_header("reg.example:5443/team/app") is None
