"""``compose.dump``: a loaded project back to ``docker stack config``'s YAML (no engine)."""

from __future__ import annotations

import yaml

from swarmdeck.compose import load
from swarmdeck.compose.dump import cpus, dump, go_duration


def dumped(text: str, env: dict[str, str] | None = None, **options: bool) -> str:
    loaded = load([("docker-compose.yml", text)], env=env or {}, filesystem=False, **options)
    return dump(loaded.project, loaded.extensions)


def test_go_durations():
    cases = {
        0: "0s",
        5 * 10**9: "5s",
        90 * 10**9: "1m30s",
        120 * 10**9: "2m0s",
        3600 * 10**9: "1h0m0s",
        1_500_000_000: "1.5s",
        500_000_000: "500ms",
        1_500: "1.5µs",
        7: "7ns",
        -2 * 10**9: "-2s",
    }
    assert {ns: go_duration(ns) for ns in cases} == cases


def test_cpus_as_written():
    assert (cpus(500_000_000), cpus(2 * 10**9), cpus(250_000_000)) == ("0.5", "2", "0.25")


def test_the_cli_layout_version_first_services_sorted_pointers_kept():
    text = dumped(
        """
version: "3"
x-top: {keep: [1, "yes"]}
configs:
  c: {external: true}
services:
  zeta:
    image: busybox
    deploy: {replicas: 0, update_config: {}}
    read_only: false
    networks: [net]
  alpha:
    image: busybox
    environment: {B: 2.0, A: "yes", NOVALUE: }
    healthcheck: {test: "true", interval: 90s, retries: 0}
    ulimits: {nproc: 10, nofile: {soft: 5, hard: 5}}
    deploy:
      resources: {limits: {cpus: "0.50", memory: 1k}}
      restart_policy: {window: 2m}
networks:
  net: {}
"""
    )
    assert text == (
        """version: "3.13"
services:
  alpha:
    deploy:
      resources:
        limits:
          cpus: "0.5"
          memory: "1024"
      restart_policy:
        window: 2m0s
    environment:
      A: "yes"
      B: "2"
      NOVALUE: null
    healthcheck:
      test:
        - CMD-SHELL
        - "true"
      interval: 1m30s
      retries: 0
    image: busybox
    ulimits:
      nofile:
        soft: 5
        hard: 5
      nproc: 10
  zeta:
    deploy:
      replicas: 0
      update_config: {}
    image: busybox
    networks:
      net: null
networks:
  net: {}
configs:
  c:
    name: c
    external: true
x-top:
  keep:
    - 1
    - "yes"
"""
    )


def test_skip_interpolation_keeps_variables_and_parses_back():
    text = dumped(
        'version: "3.8"\nservices:\n  a:\n    image: ${IMAGE}\n', interpolate=False, deploy_checks=False
    )
    assert yaml.safe_load(text)["services"]["a"]["image"] == "${IMAGE}"
    assert (
        yaml.safe_load(dumped('version: "3.8"\nservices:\n  a:\n    image: ${IMAGE}\n', {"IMAGE": "x"}))[
            "services"
        ]["a"]["image"]
        == "x"
    )


def test_deploy_checks_off_lets_an_imageless_service_through():
    assert "services:\n  a:\n    command:" in dumped(
        'version: "3.8"\nservices:\n  a:\n    command: ["true"]\n', deploy_checks=False
    )


def test_extensions_as_the_cli_keeps_them():
    first = 'version: "3.8"\nx-a: {one: 1}\nservices:\n  s:\n    image: x\n    x-svc: {k: {"y": 2}}\n'
    second = 'version: "3.8"\nx-a: {two: 2}\nx-c: 3\nservices:\n  s:\n    x-svc: {j: 2, k: {z: 1}}\n'
    loaded = load([("a.yml", first), ("b.yml", second)], env={}, filesystem=False)
    assert dump(loaded.project, loaded.extensions) == (
        """version: "3.8"
services:
  s:
    image: x
    x-svc:
      j: 2
      k:
        "y": 2
        z: 1
x-a:
  one: 1
"""
    )
