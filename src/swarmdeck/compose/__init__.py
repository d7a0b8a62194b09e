"""Compose files -> typed, normalised models, with ``docker stack deploy``'s exact rules.

Public API::

    from swarmdeck.compose import load, ComposeError

    result = load([Path("docker-compose.yml"), Path("prod.yml")], env=dict(os.environ))
    result.project          # swarmdeck.compose.models.Project (merged, normalised)
    result.warnings         # list[str]: what the CLI prints as warnings
    result.working_dir      # where relative paths were resolved

    load([("stdin", text)], env={})   # in-memory text: (name used in messages, YAML)
    load([("docker-compose.yml", text)], env={}, filesystem=False)  # a document: no disk

``load(sources, env, working_dir=None) -> LoadResult``:

* ``sources``: paths (``Path`` or ``str``) or ``(name, text)`` pairs, merged in order like
  repeated ``docker stack deploy -c``;
* ``env``: the only source of variables (interpolation, ``env_file`` look-ups,
  ``environment`` fallbacks, ``HOME`` for ``~``);
* ``working_dir``: default the first file's folder, the current directory for text.
* ``filesystem=False``: document mode, for text that came over the network (the console):
  nothing is read from this machine's disk or resolved against its paths; ``env_file``,
  secret/config ``file:``, relative and ``~`` binds and local build contexts are refused.

Pipeline (one module each): ``yamlread`` (go-yaml v3 semantics, locations) ->
``properties`` (forbidden keys) -> ``interpolate`` -> ``versions`` (3.0-3.13 gates) +
``validate`` into the pydantic models (``models``: project and top-level objects,
``service``, ``deploy``, on ``base`` and ``fields``) -> ``normalize`` (+ ``envfile``) ->
``merge`` -> ``checks`` (undefined references, images, modes, mounts). Helpers: ``units``
(durations, memory, CPUs), ``ports``, ``volumespec``, ``shellwords``, ``gofmt``,
``located``; image references are parsed by ``swarmdeck.engine.reference``.

Every refusal is a ``ComposeError`` (a ``SwarmdeckError``) whose problems each carry file,
line, column and key path; its text reads like::

    docker-compose.yml:12:9: services.web.deploy.resources.limits.cpus: must be a string
"""

from swarmdeck.compose.errors import ComposeError, Problem
from swarmdeck.compose.load import LoadResult, load
from swarmdeck.compose.located import Location
from swarmdeck.compose.models import Project

__all__ = ["ComposeError", "LoadResult", "Location", "Problem", "Project", "load"]
