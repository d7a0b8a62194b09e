"""Compose documents the stack tests deploy, and what those tests share: the docker CLI's
deploy to compare with, and what a stack left on the swarm."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import docker

DOCKER = "/usr/local/bin/docker"


def compose(image: str, replicas: int = 0) -> str:
    return f"""version: "3.8"
services:
  app:
    image: {image}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    environment:
      GREETING: ${{GREETING:-none}}
    deploy:
      replicas: {replicas}
"""


def label(ns: str) -> dict[str, str]:
    return {"label": f"com.docker.stack.namespace={ns}"}


def cli_deploy(
    files: list[Path], ns: str, env: dict[str, str], *extra: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``docker stack deploy`` of ``files`` as stack ``ns`` (``env`` added to the environment)."""
    args = [DOCKER, "stack", "deploy", *extra]
    for file in files:
        args += ["-c", str(file)]
    run = subprocess.run(
        [*args, ns], env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False
    )
    if check:
        assert run.returncode == 0, run.stderr
    return run


def left_behind(client: docker.DockerClient, ns: str) -> list[str]:
    """Every service, network, secret and config of stack ``ns`` (by its label)."""
    api = client.api
    return [
        f"{kind} {item.get('Name') or item['Spec']['Name']}"
        for kind, items in (
            ("service", api.services(filters=label(ns))),
            ("network", api.networks(filters=label(ns))),
            ("secret", api.secrets(filters=label(ns))),
            ("config", api.configs(filters=label(ns))),
        )
        for item in items
    ]
