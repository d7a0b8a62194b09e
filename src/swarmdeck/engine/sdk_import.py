"""Importing the docker SDK without paying for SSH: its SSH transport is loaded on first use.

The SDK's ``docker.transport`` package imports ``docker.transport.sshconn`` (and so paramiko,
invoke and cryptography) at import time, for ``ssh://`` endpoints, although only an SSH
connection uses it: about half the SDK's import time, which every `swarmdeck` command that
talks to an engine would pay. ``defer_ssh_transport()`` adds an import hook that gives a small
stand-in module under that name when the SDK imports it. Its one name, ``SSHHTTPAdapter`` (the only one the
SDK uses, to make the adapter of an ``ssh://`` client), imports the real module when called
and hands over to it, so SSH endpoints work as before, and load paramiko only then.
Python 3.11's ``LazyLoader`` cannot do this: a second ``import paramiko`` runs the module.

``swarmdeck.engine``'s package import calls it, before any engine module imports docker.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from typing import Any, cast

SSH_TRANSPORT = "docker.transport.sshconn"


class _StandInFinder:
    """An import hook for the one module name: the stand-in until the real one is wanted.

    A meta path finder and loader by their methods (subclassing ``importlib.abc``'s would
    import ``importlib.resources``, 30 ms of the start-up this saves)."""

    real_wanted = False

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != SSH_TRANSPORT or self.real_wanted:
            return None
        return ModuleSpec(fullname, cast(Any, self))

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        module.SSHHTTPAdapter = _ssh_adapter  # type: ignore[attr-defined]


_FINDER = _StandInFinder()


def defer_ssh_transport() -> None:
    """Stand in for the SDK's SSH transport until an ``ssh://`` client needs it.

    Nothing to do once the SDK is imported (its transport is then the real one)."""
    if "docker" in sys.modules or _FINDER in sys.meta_path:
        return
    sys.meta_path.insert(0, _FINDER)


def _ssh_adapter(*args: Any, **kwargs: Any) -> Any:
    """The SDK's ``SSHHTTPAdapter(...)``, from the real module, imported now."""
    return ssh_transport().SSHHTTPAdapter(*args, **kwargs)


def ssh_transport() -> types.ModuleType:
    """The SDK's real SSH transport module, importing it (and paramiko) if need be."""
    module = sys.modules.get(SSH_TRANSPORT)
    if (
        module is not None
        and module.__spec__ is not None
        and module.__spec__.loader is not cast(Any, _FINDER)
    ):
        return module
    _FINDER.real_wanted = True
    sys.modules.pop(SSH_TRANSPORT, None)
    try:
        return importlib.import_module(SSH_TRANSPORT)
    except ImportError as exc:  # the SDK's answer to NameError: "Install paramiko package ..."
        if module is not None:
            sys.modules[SSH_TRANSPORT] = module
        raise NameError(str(exc)) from exc
