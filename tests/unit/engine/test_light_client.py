"""The light read-only engine client: endpoints read as the docker SDK reads them, and its
answers and failures against the real engine the same as the SDK path's."""

from __future__ import annotations

import json

import pytest

from swarmdeck.engine.client import connect
from swarmdeck.engine.errors import EngineError, EngineNotFound, EngineUnavailable, EngineUnreachable
from swarmdeck.engine.light import LightClient, parse_endpoint, read_client
from tests.testbed.config import ENGINE_A_URL, NODE_B_URL


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("unix:///var/run/docker.sock", ("unix", "/var/run/docker.sock", 0)),
        ("unix://", ("unix", "/var/run/docker.sock", 0)),
        ("http+unix:///run/d.sock", ("unix", "/run/d.sock", 0)),
        ("tcp://10.0.0.1:2375", ("tcp", "10.0.0.1", 2375)),
        ("10.0.0.1:2375", ("tcp", "10.0.0.1", 2375)),
        ("http://engine:2375", ("tcp", "engine", 2375)),
        ("https://engine:2376", ("https", "engine", 2376)),
        ("tcp://:2375", ("tcp", "127.0.0.1", 2375)),
        ("ssh://me@engine", ("ssh", "engine", 22)),
    ],
)
def test_endpoints_parse_as_the_sdk_parses_them(url, parsed):
    assert parse_endpoint(url) == parsed


@pytest.mark.parametrize(
    "url", ["tcp://engine", "ftp://engine:21", "tcp://engine:2375?x=1", "tcp://u:pw@engine:2375"]
)
def test_bad_endpoints_are_one_clear_error(url):
    with pytest.raises(EngineError, match="invalid engine endpoint"):
        LightClient(url)


def test_tls_settings_are_read_as_docker_from_env_reads_them(tmp_path):
    base = {"DOCKER_HOST": "tcp://127.0.0.1:2376"}
    plain = LightClient(env={**base, "DOCKER_TLS_VERIFY": ""})  # empty: off, as the SDK's
    assert (plain._tls, plain._cert_path) == (False, None)
    verified = LightClient(env={**base, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)})
    assert (verified._tls, verified._verify, verified._cert_path) == (True, True, str(tmp_path))
    unverified = LightClient(env={**base, "DOCKER_CERT_PATH": str(tmp_path)})
    assert (unverified._tls, unverified._verify) == (True, False)


def test_ssh_endpoints_go_to_the_sdk_client():
    with pytest.raises(EngineError, match="no SSH transport"):
        LightClient("ssh://me@127.0.0.1")


def test_reads_answer_as_the_sdk_client(engine, swarm):
    light, sdk = LightClient(ENGINE_A_URL), connect(ENGINE_A_URL)
    assert {n["ID"] for n in light.nodes()} == {n["ID"] for n in sdk.api.nodes()}
    assert light.info()["Swarm"]["NodeID"] == sdk.info()["Swarm"]["NodeID"]
    filters = {"label": "com.docker.stack.namespace"}
    assert {s["ID"] for s in light.services(filters=filters)} == {
        s["ID"] for s in sdk.api.services(filters=filters)
    }
    assert light.ping() is True


def test_an_error_answer_is_the_same_engine_error_as_on_the_sdk_path(engine, swarm):
    with pytest.raises(EngineNotFound) as light:
        LightClient(ENGINE_A_URL).inspect_service("sd-light-no-such-service")
    with pytest.raises(EngineNotFound) as sdk:
        connect(ENGINE_A_URL).api.inspect_service("sd-light-no-such-service")
    assert (
        (str(light.value), light.value.status)
        == (str(sdk.value), sdk.value.status)
        == (
            "service sd-light-no-such-service not found",
            404,
        )
    )


def test_a_worker_refuses_as_on_the_sdk_path(node_b_engine, swarm):
    with pytest.raises(EngineUnavailable) as light:
        LightClient(NODE_B_URL).services()
    with pytest.raises(EngineUnavailable) as sdk:
        connect(NODE_B_URL).api.services()
    assert str(light.value) == str(sdk.value)
    assert "not a swarm manager" in str(light.value)


@pytest.mark.parametrize("where", ["socket", "tcp"])
def test_a_dead_endpoint_gives_the_sdk_paths_message(tmp_path, where):
    url = f"unix://{tmp_path}/none.sock" if where == "socket" else "tcp://127.0.0.1:9"
    with pytest.raises(EngineUnreachable) as light:
        read_client(url).services()
    with pytest.raises(EngineUnreachable) as sdk:
        connect(url)
    assert str(light.value) == str(sdk.value)
    assert (
        light.value.reason
        == sdk.value.reason
        == ("no such socket" if where == "socket" else "connection refused")
    )


def test_a_long_chunked_answer_and_the_next_call_on_the_same_connection(engine):
    light = LightClient(ENGINE_A_URL)
    # the engine sends it chunked; other tests change the images meanwhile, so no comparison:
    # a chunk boundary read wrong would leave no JSON
    images = light.get("images/json", {"all": "1"})
    assert len(json.dumps(images)) > 8192 and all(i["Id"].startswith("sha256:") for i in images)
    kept = light._sock
    assert kept is not None and light.info()["ID"] == engine.info()["ID"]
    assert light._sock is kept  # one connection for both
