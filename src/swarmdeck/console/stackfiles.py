"""The stack history and app templates at the console's edge: the store's tables for this
app (``files_of``), the built-in templates, a template's variables and the diff of two
versions. The routes are ``api.stackfiles``; the pages are the stacks pages.

A template's variables are its ``${NAME}``, ``${NAME:-default}`` and ``${NAME-default}``
(``$$`` is a literal dollar): the page makes a form of them, whose values go with the
deploy as the interpolation variables (the console's own environment never does).
The built-in templates take their images as variables too, so any registry's image can be
set (a test bed's, a mirror's).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from fastapi import FastAPI

from swarmdeck.store.stackfiles import StackFiles, TemplateRecord

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def files_of(app: FastAPI) -> StackFiles:
    """One per app, made on first use (its tables come with it)."""
    state = app.state
    if getattr(state, "stack_files", None) is None:
        state.stack_files = StackFiles(state.console.store)
    files: StackFiles = state.stack_files
    return files


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    required: bool


def variables(compose: str) -> list[Variable]:
    """The compose text's variables, in the order they first appear."""
    found: dict[str, Variable] = {}
    for match in _VARIABLE.finditer(compose):
        name, op, default = match.group(1), match.group(2), match.group(3)
        if name is None or name in found:
            continue
        found[name] = Variable(name, default if op in (":-", "-") else "", op in (":?", "?"))
    return list(found.values())


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """``old`` → ``new`` as a unified diff (plain text: pages show it escaped)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _builtin(key: str, title: str, description: str, compose: str) -> TemplateRecord:
    return TemplateRecord(key, title, description, compose, "", builtin=True)


BUILTIN: list[TemplateRecord] = [
    _builtin(
        "friendlyhello-redis",
        "friendlyhello with Redis",
        "The Docker tutorial's web app (a visit counter) and its Redis.",
        """version: "3.8"
services:
  web:
    image: ${WEB_IMAGE:-friendlyhello:latest}
    ports:
      - "${WEB_PORT:-4000}:80"
    deploy:
      replicas: ${REPLICAS:-2}
  redis:
    image: ${REDIS_IMAGE:-redis:7-alpine}
    volumes:
      - redis_data:/data
volumes:
  redis_data:
""",
    ),
    _builtin(
        "redis",
        "Redis",
        "One Redis server, its data on a volume.",
        """version: "3.8"
services:
  redis:
    image: ${REDIS_IMAGE:-redis:7-alpine}
    ports:
      - "${REDIS_PORT:-6379}:6379"
    volumes:
      - data:/data
volumes:
  data:
""",
    ),
    _builtin(
        "registry",
        "A registry",
        "A Docker registry (distribution), its blobs on a volume.",
        """version: "3.8"
services:
  registry:
    image: ${REGISTRY_IMAGE:-registry:2}
    ports:
      - "${REGISTRY_PORT:-5000}:5000"
    volumes:
      - blobs:/var/lib/registry
volumes:
  blobs:
""",
    ),
    _builtin(
        "nginx",
        "nginx",
        "An nginx web server.",
        """version: "3.8"
services:
  nginx:
    image: ${NGINX_IMAGE:-nginx:1.27-alpine}
    ports:
      - "${NGINX_PORT:-8080}:80"
    deploy:
      replicas: ${REPLICAS:-1}
""",
    ),
]
BUILTIN_KEYS = frozenset(t.key for t in BUILTIN)
