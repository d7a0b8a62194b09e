"""Compose v2's names and labels: project name, object names, the ``com.docker.compose.*`` keys.

These are what ``docker compose ps``/``down`` look for, so a project made here is one that
Compose itself lists and removes (and the other way round).
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from swarmdeck.compose.project.errors import ProjectError
from swarmdeck.engine import labels

if TYPE_CHECKING:
    from docker.models.containers import Container
    from docker.models.networks import Network

# the keys themselves are engine.labels' (one home for every tool's labels)
PROJECT = labels.COMPOSE_PROJECT
SERVICE = labels.COMPOSE_SERVICE
NUMBER = labels.COMPOSE_NUMBER
ONEOFF = labels.COMPOSE_ONEOFF
WORKING_DIR = labels.COMPOSE_WORKING_DIR
CONFIG_FILES = labels.COMPOSE_CONFIG_FILES
CONFIG_HASH = labels.COMPOSE_CONFIG_HASH
IMAGE = labels.COMPOSE_IMAGE
DEPENDS_ON = labels.COMPOSE_DEPENDS_ON
VERSION = labels.COMPOSE_VERSION
NETWORK = labels.COMPOSE_NETWORK
VOLUME = labels.COMPOSE_VOLUME


_VALID = re.compile(r"[a-z0-9][a-z0-9_-]*")


def tool_version() -> str:
    """The value of ``com.docker.compose.version``: which tool made the object, and its version."""
    try:
        return f"swarmdeck-{version('swarmdeck')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "swarmdeck"


def normalize_project_name(text: str) -> str:
    """compose-go's ``NormalizeProjectName``: lowercase, keep [a-z0-9_-], no leading _ or -."""
    return "".join(re.findall(r"[a-z0-9_-]", text.lower())).lstrip("_-")


def project_name(explicit: str | None, project_dir: str) -> str:
    """``-p NAME`` (which must already be valid, as Compose requires), else the folder's name."""
    if explicit is not None:
        if not _VALID.fullmatch(explicit):
            raise ProjectError(
                f'invalid project name "{explicit}": must consist only of lowercase alphanumeric '
                "characters, hyphens, and underscores as well as start with a letter or number"
            )
        return explicit
    folder = project_dir.rstrip("/").rsplit("/", 1)[-1]
    name = normalize_project_name(folder)
    if not name:
        raise ProjectError(f'cannot derive a project name from the folder "{folder}": use -p NAME')
    return name


def container_name(project: str, service: str, number: int) -> str:
    return f"{project}-{service}-{number}"


def scoped_name(project: str, key: str, explicit: str | None) -> str:
    """A network's or volume's engine name: its ``name:``, else ``<project>_<key>``."""
    return explicit or f"{project}_{key}"


def listed_name(listed: Container | Network) -> str:
    """The name of a container or network the engine listed or inspected (it always has one;
    the SDK's type leaves it optional for a model made without attributes)."""
    return listed.name or ""
