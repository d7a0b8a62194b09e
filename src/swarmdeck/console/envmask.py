"""Environment values of containers and services, where secrets often live: read-only users
see the variables' names, never their values (``DB_PASSWORD=••••••``); operators and admins,
who may change the workloads anyway, see them. Every value is masked alike (an empty one
too), so the mask tells nothing about a value."""

from __future__ import annotations

import copy
from typing import Any

from swarmdeck.console.security import Principal
from swarmdeck.store import Role

MASK = "••••••"


def reveals(who: Principal) -> bool:
    """May ``who`` see environment values?"""
    return who.role.allows(Role.OPERATOR)


def masked(env: list[str] | None) -> list[str] | None:
    """``NAME=value`` entries as ``NAME=••••••`` (a bare ``NAME`` stays as it is)."""
    if env is None:
        return None
    return [f"{entry.partition('=')[0]}={MASK}" if "=" in entry else entry for entry in env]


def container(info: dict[str, Any], reveal: bool) -> dict[str, Any]:
    """A container's inspect answer with ``Config.Env`` masked unless ``reveal``."""
    if reveal or not (info.get("Config") or {}).get("Env"):
        return info
    shown = copy.copy(info)
    shown["Config"] = {**info["Config"], "Env": masked(info["Config"]["Env"])}
    return shown
