"""What the CLI's loader does to one file's services and objects after validation.

* ``environment``: ``env_file`` contents first, then the ``environment`` entries; a value
  that is missing or ``""`` is replaced by the caller's environment when it has the name
  (``updateEnvironment``). The result is always a dict.
* bind mounts: an empty source is an error; ``~`` is expanded from ``HOME`` of the given
  environment; a relative source is joined to the working directory (and cleaned).
* secret and config files are joined to the working directory (not ``~``-expanded).
* external objects get ``name`` = ``name``, else ``external.name`` (with the CLI's
  deprecation warning from 3.5, 3.4 for volumes), else their key; conflicting settings
  are errors.

In document mode (``filesystem=False``: compose text sent to the console) nothing is read
from the disk of the machine doing the loading and no path is resolved against it: each
key that would (``env_file``, a secret's or config's ``file``, a relative or ``~`` bind
source, a local ``build`` context) is one problem at its place saying what to do instead.
The messages never depend on the path, so they tell nothing about what exists there.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from pathlib import Path

from swarmdeck.compose.envfile import EnvFileError, parse_env_file
from swarmdeck.compose.errors import Problem
from swarmdeck.compose.models import Config, Network, Project, Secret, Service, Volume
from swarmdeck.compose.versions import minor

_WINDOWS_ABS = re.compile(r"(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/][^\\/]+)")
_DOCUMENT = "compose sent to the console is a document: "
DOCUMENT_ENV_FILE = (
    _DOCUMENT + "an env_file would be read from the console's own disk; put the "
    "variables under `environment:` instead (values may use ${VARIABLES} sent "
    "with the deploy)"
)
DOCUMENT_FILE = (
    _DOCUMENT + "`file:` would be read from the console's own disk; create the "
    "{kind} first (`docker {kind} create`) and declare it `external: true`"
)
DOCUMENT_BIND = (
    _DOCUMENT + "a relative bind source would be resolved against the console's "
    "working directory; give an absolute path on the nodes, or use a named volume"
)
DOCUMENT_HOME = (
    _DOCUMENT + "'~' would be expanded from the console's home directory; give an "
    "absolute path on the nodes, or use a named volume"
)
DOCUMENT_BUILD = (
    _DOCUMENT + "a build context would be read from the console's own disk; build "
    "and push the image first (`swarmdeck image build/push` or the Images page) "
    "and keep only `image:`"
)


def clean_join(directory: str, path: str) -> str:
    """Go's ``filepath.Join``: joined and cleaned."""
    joined = posixpath.normpath(posixpath.join(directory, path)) if directory or path else ""
    if joined.startswith("//"):
        joined = "/" + joined.lstrip("/")
    return joined


def abs_path(working_dir: str, path: str) -> str:
    """The CLI's ``absPath``: absolute paths unchanged, others joined to the directory."""
    return path if posixpath.isabs(path) else clean_join(working_dir, path)


class Normalizer:
    """Normalises one validated file in place; collects problems and warnings."""

    def __init__(
        self,
        env: Mapping[str, str],
        working_dir: str,
        version: str,
        warnings: list[str],
        filesystem: bool = True,
    ) -> None:
        self.env = env
        self.working_dir = working_dir
        self.filesystem = filesystem
        self.version = minor(version)
        self.warnings = warnings
        self.problems: list[Problem] = []

    def run(self, project: Project) -> None:
        for name, service in project.services.items():
            if not self.filesystem:
                self._document_only(name, service)
            self._environment(name, service)
            self._binds(name, service)
        for key, network in project.networks.items():
            if network.external:
                self._external(key, network, "network", deprecated_from=5)
        for key, volume in project.volumes.items():
            self._external_volume(key, volume)
        for key, secret in project.secrets.items():
            self._file_object(key, secret, "secret")
        for key, config in project.configs.items():
            self._file_object(key, config, "config")

    def _problem(
        self,
        loc_owner: Service | Network | Volume | Secret | Config,
        key: str,
        path: list[str | int],
        message: str,
    ) -> None:
        self.problems.append(Problem.at(loc_owner.key_loc(key), path, message))

    def _update(self, target: dict[str, str | None], values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            target[key] = self.env[key] if not value and key in self.env else value

    def _document_only(self, name: str, service: Service) -> None:
        """Refuse what a document cannot mean without the loader's disk (document mode)."""
        if service.env_file:
            self._problem(service, "env_file", ["services", name, "env_file"], DOCUMENT_ENV_FILE)
            service.env_file = None  # never read
        context = service.build.context if service.build is not None else None
        if service.build is not None and not _remote_context(context or ""):
            self._problem(service, "build", ["services", name, "build"], DOCUMENT_BUILD)
        for index, volume in enumerate(service.volumes or []):
            source = volume.source or ""
            if (
                volume.type == "bind"
                and source
                and not (posixpath.isabs(source) or _WINDOWS_ABS.match(source))
            ):
                self.problems.append(
                    Problem.at(
                        volume.loc,
                        ["services", name, "volumes", index],
                        DOCUMENT_HOME if source.startswith("~") else DOCUMENT_BIND,
                    )
                )

    def _environment(self, name: str, service: Service) -> None:
        result: dict[str, str | None] = {}
        if service.env_file:
            from_files: dict[str, str | None] = {}
            for index, file in enumerate(service.env_file):
                try:
                    pairs = parse_env_file(Path(abs_path(self.working_dir, file)), self.env)
                except EnvFileError as exc:
                    self._problem(service, "env_file", ["services", name, "env_file", index], str(exc))
                    continue
                from_files.update(pairs)
            self._update(result, from_files)
        self._update(result, service.environment or {})
        service.environment = result

    def _binds(self, name: str, service: Service) -> None:
        for index, volume in enumerate(service.volumes or []):
            if volume.type != "bind":
                continue
            if not volume.source:
                self.problems.append(
                    Problem.at(
                        volume.loc,
                        ["services", name, "volumes", index],
                        'invalid mount config for type "bind": field Source must not be empty',
                    )
                )
                continue
            source = volume.source
            if source.startswith("~"):
                if "HOME" in self.env:
                    source = source.replace("~", self.env["HOME"], 1)
                else:
                    self.warnings.append("cannot expand '~', because the environment lacks HOME")
            if not posixpath.isabs(source) and not _WINDOWS_ABS.match(source):
                source = clean_join(self.working_dir, source)
            volume.source = source

    def _external(
        self, key: str, obj: Network | Volume | Secret | Config, kind: str, deprecated_from: int
    ) -> None:
        """The name of an external object (callers check ``external`` first)."""
        if obj.external_name:
            if obj.name:
                self._problem(
                    obj,
                    "name",
                    [f"{kind}s", key, "name"],
                    f"{kind} {key}: {kind}.external.name and {kind}.name conflict; only use {kind}.name",
                )
                return
            if self.version >= deprecated_from:
                self.warnings.append(
                    f"{kind} {key}: {kind}.external.name is deprecated in favor of {kind}.name"
                )
            obj.name = obj.external_name
        elif not obj.name:
            obj.name = key

    def _external_volume(self, key: str, volume: Volume) -> None:
        if not volume.external:
            return
        for option, value in (
            ("driver", volume.driver),
            ("driver_opts", volume.driver_opts),
            ("labels", volume.labels),
        ):
            if value:
                self._problem(
                    volume,
                    option,
                    ["volumes", key, option],
                    f'conflicting parameters "external" and "{option}" specified for volume "{key}"',
                )
                return
        self._external(key, volume, "volume", deprecated_from=4)

    def _file_object(self, key: str, obj: Secret | Config, kind: str) -> None:
        section = f"{kind}s"
        if obj.external:
            self._external(key, obj, kind, deprecated_from=5)
        elif isinstance(obj, Secret) and obj.driver:
            if obj.file:
                self._problem(
                    obj,
                    "file",
                    [section, key, "file"],
                    f"{kind} {key}: {kind}.driver and {kind}.file conflict; only use {kind}.driver",
                )
        elif not obj.file:
            needs = "file, driver or external" if isinstance(obj, Secret) else "file or external"
            self.problems.append(
                Problem.at(obj.loc, [section, key], f"{kind} {key}: one of {needs} must be set")
            )
        elif not self.filesystem:
            self._problem(obj, "file", [section, key, "file"], DOCUMENT_FILE.format(kind=kind))
        else:
            obj.file = abs_path(self.working_dir, obj.file)


def _remote_context(context: str) -> bool:
    """A build context the builder fetches (git or HTTP), not a folder on this machine."""
    return "://" in context or context.startswith(("git@", "github.com/"))
