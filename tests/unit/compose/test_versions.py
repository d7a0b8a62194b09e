"""Format versions: normalisation, unknown versions, keys newer than the declared version."""

import pytest

from .util import error_of, load_text

SERVICE = "services:\n  web:\n    image: nginx\n"


@pytest.mark.parametrize(
    ("header", "version"),
    [
        ("", "3.13"),
        ('version: ""\n', "3.13"),
        ('version: "3"\n', "3.13"),
        ('version: "3.0"\n', "3.0"),
        ("version: '3.7'\n", "3.7"),
        ('version: "3.13"\n', "3.13"),
    ],
)
def test_declared_versions(header, version):
    assert load_text(header + SERVICE).project.version == version


@pytest.mark.parametrize("version", ["2", "2.4", "3.14", "3.00", "4", "latest", "${V}"])
def test_unsupported_versions(version):
    error = error_of(f'version: "{version}"\n' + SERVICE, env={"V": "3.8"})
    assert error.message == f"unsupported Compose file version: {version}"
    assert (error.line, error.column, error.path) == (1, 10, "version")


# (minor version that brought it, service lines, top-level lines)
GATES = [
    (1, "    secrets: [s]\n", "secrets:\n  s: {file: ./s}\n"),
    (2, "    ports: [{target: 80, published: 8080}]\n", ""),
    (2, "    volumes: [{type: volume, source: v, target: /v}]\n", "volumes:\n  v: {}\n"),
    (2, "    deploy: {endpoint_mode: dnsrr}\n", ""),
    (2, "    networks: [n]\n", "networks:\n  n: {attachable: true}\n"),
    (3, "    configs: [c]\n", "configs:\n  c: {file: ./c}\n"),
    (3, "    deploy: {placement: {preferences: [{spread: node.id}]}}\n", ""),
    (4, "    x-note: hello\n", ""),
    (4, "    healthcheck: {start_period: 3s}\n", ""),
    (4, "    deploy: {update_config: {order: start-first}}\n", ""),
    (4, "", "volumes:\n  v: {name: vv}\n"),
    (5, "    isolation: default\n", ""),
    (5, "", "networks:\n  n: {name: nn}\n"),
    (6, "    volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1}}]\n", ""),
    (7, "    init: true\n", ""),
    (7, "    deploy: {rollback_config: {parallelism: 1}}\n", ""),
    (7, "", "networks:\n  n: {x-note: 1}\n"),
    (8, "    deploy: {placement: {max_replicas_per_node: 1}}\n", ""),
    (8, "", "secrets:\n  s: {file: ./s, template_driver: golang}\n"),
    (9, "    deploy: {resources: {limits: {pids: 10}}}\n", ""),
    (12, "    healthcheck: {start_interval: 1s}\n", ""),
    (13, "    oom_score_adj: 10\n", ""),
]


@pytest.mark.parametrize(("minor", "service", "top"), GATES)
def test_keys_need_their_version(minor, service, top):
    text = SERVICE + service + top
    load_text(f'version: "3.{minor}"\n' + text)
    load_text(text)  # no version: the latest
    error = error_of(f'version: "3.{minor - 1}"\n' + text)
    assert error.message.endswith(
        f"needs compose file version 3.{minor} or later (the file declares version 3.{minor - 1})"
    )


def test_a_service_named_like_an_extension_is_still_a_service():
    result = load_text('version: "3.0"\nservices:\n  x-web:\n    image: nginx\n')
    assert list(result.project.services) == ["x-web"]


def test_extension_fields_are_dropped_and_free_form():
    result = load_text(
        "x-anything:\n  - [1, {a: b}]\nservices:\n  web:\n    image: nginx\n    x-tags: {whatever: [1, 2]}\n"
    )
    assert "x-tags" not in result.project.services["web"].model_dump()
    error = error_of(SERVICE + "    deploy: {x-not-here: 1}\n")
    assert (
        str(error)
        == "docker-compose.yml:4:14: services.web.deploy: Additional property x-not-here is not allowed"
    )
