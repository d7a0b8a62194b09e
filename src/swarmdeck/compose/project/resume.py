"""What a ``compose up`` killed half-way (SIGKILL, a lost terminal, a reboot) left, taken back.

``up`` undoes itself in-process on an engine refusal or Ctrl+C; a process that dies cannot.
So ``up`` writes down (``compose.journal``, through its ``journal`` hook) what it is about to
change before each change: what carried the project's label before its first change
(``before``), what it creates, the containers it stops, starts and renames, and, once every
change is made, the old containers it is about to remove (``remove``). This module reads such
a record back, for the next ``compose up`` or ``compose down`` of that project (``ps`` only
says it is there):

- a run killed before ``remove`` is undone with ``up``'s own undo: whatever carries the
  project's label now and did not before is removed (with its anonymous volumes; a
  replacement's inherited volumes are named in its mounts and so kept), renamed containers
  get their names back, stopped ones are started and started ones stopped again;
- a run killed while removing its old containers had made every change: that removal is
  finished (it cannot be taken back once begun).

Here, not in ``up``: ``up`` owns the run and its undo, this module the record and its replay.
"""

from __future__ import annotations

from typing import Any

import docker

from swarmdeck.compose.project.errors import ProjectError
from swarmdeck.compose.project.plan import ProjectPlan
from swarmdeck.compose.project.up import _Up
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineNotFound


def summary(record: dict[str, Any]) -> str:
    """One sentence saying a run was cut short, for ``ps`` and the others."""
    return (
        f"a `compose up` of project {record.get('project', '?')} was cut short earlier "
        f"(process {record.get('pid', '?')} died before it ended)"
    )


def take_back(client: docker.DockerClient, record: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Take back (or, past its last reversible step, finish) the run ``record`` describes:
    (what was done, as sentences; what could not be, as the engine's errors)."""
    if record.get("remove") is not None:
        return _finish(client, record["remove"])
    if "before" not in record:
        return [], []  # killed before its first change
    run = _Up(client, ProjectPlan(str(record["project"]), "", [], {}, {}, []), None, False)
    run.before = {kind: dict.fromkeys(keys, "") for kind, keys in record["before"].items()}
    renamed = {container_id: name for container_id, name in record.get("renamed", [])}
    for container_id, name in renamed.items():
        found = _container(client, container_id)
        if found is not None and found.name != name:  # the rename may never have been sent
            run.renamed.append((container_id, name))
    for kind in ("stopped", "started"):
        for container_id in record.get(kind, []):
            found = _container(client, container_id)
            if found is not None:
                found.attrs["Name"] = "/" + renamed.get(container_id, found.name)  # its name again
                getattr(run, kind).append(found)
    return run.rollback()


def _container(client: docker.DockerClient, container_id: str) -> Any:
    try:
        with doing(f"inspect container {container_id[:12]}"):
            return client.containers.get(container_id)
    except EngineNotFound:
        return None
    except EngineError as exc:
        raise ProjectError(str(exc)) from exc


def _finish(client: docker.DockerClient, going: list[list[str]]) -> tuple[list[str], list[str]]:
    done: list[str] = []
    failures: list[str] = []
    for container_id, name in going:
        try:
            with doing(f"remove container {name}"):
                client.api.remove_container(container_id, force=True)
        except EngineNotFound:
            pass  # removed before the process died
        except EngineError as exc:
            failures.append(str(exc))
            continue
        done.append(f"removed old container {name} (the run had made every other change)")
    return done, failures
