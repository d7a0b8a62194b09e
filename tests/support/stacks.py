"""Compose documents the stack tests deploy."""

from __future__ import annotations


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
