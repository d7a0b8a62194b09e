"""The loading pipeline: read -> check -> interpolate -> validate -> normalise -> merge -> check.

Per file, in order, as the docker CLI's ``loader.Load`` does: the version must match the
first file's; forbidden keys refuse the file; variables are substituted; the data is
validated against the declared format version (into ``Project`` models) and normalised.
Then the files are merged and the merged project is checked for what the CLI only notices
while deploying (undefined networks, volumes, secrets, configs; images; modes). The first
step that finds problems raises one ``ComposeError`` listing all of its problems.

Document mode (``filesystem=False``) is for compose text that arrives over the network (the
console): the text is all there is. Nothing is read from this machine's disk and no path is
resolved against its working directory or home: sources must be ``(name, text)``, and
``env_file``, secret and config ``file:``, relative and ``~`` bind sources and local build
contexts are refused, each at its place (``normalize``); ``extends`` is refused in every
mode, and ``.env`` is never read here (only ``compose.project`` reads it, for the CLI).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from swarmdeck.compose.checks import check_project
from swarmdeck.compose.errors import ComposeError, Problem, raise_if
from swarmdeck.compose.interpolate import Interpolator
from swarmdeck.compose.located import LocDict, locate
from swarmdeck.compose.merge import merge_projects
from swarmdeck.compose.models import Project
from swarmdeck.compose.normalize import Normalizer
from swarmdeck.compose.properties import (
    FORBIDDEN_HEADLINE,
    forbidden_problems,
    property_warnings,
)
from swarmdeck.compose.validate import validate_project
from swarmdeck.compose.versions import declared_version, gate_problems, version_problem
from swarmdeck.compose.yamlread import read_yaml

Source = Union[str, "os.PathLike[str]", tuple[str, str]]


@dataclass
class LoadResult:
    """A loaded deployment: the merged project and the warnings to show the user."""

    project: Project
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    working_dir: str = ""
    extensions: dict[str, Any] = field(default_factory=dict)  # the first file's top-level x-*


def _read(source: Source) -> tuple[str, str | bytes, str | None]:
    """(name, content, folder); the folder is None for in-memory sources."""
    if isinstance(source, tuple):
        name, text = source
        return name, text, None
    name = os.fspath(source)
    try:
        content = Path(name).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ComposeError(Problem(f"open {name}: {reason[:1].lower()}{reason[1:]}", name)) from None
    return name, content, os.path.dirname(os.path.abspath(name))


def _load_file(
    name: str,
    data: LocDict,
    version: str,
    env: Mapping[str, str],
    working_dir: str,
    warnings: list[str],
    filesystem: bool,
    interpolate: bool = True,
) -> Project:
    forbidden = forbidden_problems(data)  # sorted by key, as the CLI lists them
    if forbidden:
        raise ComposeError(forbidden, FORBIDDEN_HEADLINE)
    if interpolate:
        interpolator = Interpolator(env)
        data = interpolator.run(data)
        raise_if(interpolator.problems)
        warnings += interpolator.warnings()
    bad_version = version_problem(data, version)
    if bad_version is not None:
        raise ComposeError(bad_version)
    gated = gate_problems(data, version)
    project, problems = validate_project(data, warnings)
    raise_if(gated + problems)
    assert project is not None
    normalizer = Normalizer(env, working_dir, version, warnings, filesystem)
    normalizer.run(project)
    raise_if(normalizer.problems)
    project.version = version
    return project


def load(
    sources: Sequence[Source],
    env: Mapping[str, str],
    working_dir: str | os.PathLike[str] | None = None,
    *,
    filesystem: bool = True,
    interpolate: bool = True,
    deploy_checks: bool = True,
) -> LoadResult:
    """Load compose files as ``docker stack deploy -c A -c B ...`` would.

    ``sources``: file paths, or ``(name, text)`` pairs for text from stdin or an editor.
    ``env``: the variables for interpolation, ``env_file`` look-ups, ``environment``
    fallbacks and ``~`` (HOME); the process environment is never read implicitly.
    ``working_dir``: where relative paths point; by default the first file's folder (the
    current directory for an in-memory first source).
    ``filesystem``: False for document mode (see above): ``(name, text)`` sources only, no
    ``working_dir``; the result's ``working_dir`` is empty.
    ``interpolate``: False leaves ``${VAR}`` as written (``docker stack config
    --skip-interpolation``). ``deploy_checks``: False skips what the CLI only notices while
    deploying (undefined references, images, modes) and its warnings about unsupported keys,
    as ``docker stack config`` does.
    """
    if not sources:
        raise ComposeError("no compose file given")
    env = dict(env)
    documents_only = all(isinstance(source, tuple) for source in sources)
    if not filesystem and (working_dir is not None or not documents_only):
        raise ValueError("document mode takes (name, text) sources and no working_dir")
    files = [_read(source) for source in sources]
    folder = files[0][2]
    if not filesystem:
        base = ""
    elif working_dir is not None:
        base = os.path.abspath(os.fspath(working_dir))
    else:
        base = folder if folder is not None else os.getcwd()
    warnings: list[str] = []
    raw: list[LocDict] = []
    projects: list[Project] = []
    version = ""
    for name, content, _ in files:
        data = read_yaml(content, name)
        file_version = declared_version(data)
        if not version:
            version = file_version
        elif file_version != version:
            raise ComposeError(
                Problem.at(
                    locate(data, ["version"]) if "version" in data else None,
                    "version",
                    f"version mismatched between two composefiles : {version} and {file_version}",
                    file=name,
                )
            )
        projects.append(_load_file(name, data, version, env, base, warnings, filesystem, interpolate))
        raw.append(data)
    project = merge_projects(projects)
    if deploy_checks:
        raise_if(check_project(project))
    if deploy_checks:
        warnings += property_warnings(raw)
    extensions = {
        key: value for key, value in raw[0].items() if key.startswith("x-")
    }  # the CLI's: the first file's
    return LoadResult(project, list(dict.fromkeys(warnings)), [f[0] for f in files], base, extensions)
