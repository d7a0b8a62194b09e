"""`swarmdeck compose -f FILE [-p NAME] up [-d] | down [-v] | ps | logs`: Compose v2 on one engine.

All or nothing across a killed CLI: ``up`` holds the project's journal (``compose.journal.Slot``,
one per engine and project under ``<data dir>/compose-ups``) while it changes the engine, and
writes there what it is about to change before each change (``compose.project.resume``). A
journal left by an ``up`` that died half-way is taken back by the next ``up`` of that project
(which says what it undid before its own work) or ``down`` (which then removes the project as
usual, with what the dead run created); ``ps`` says it is there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli.failing import FailingGroup, refuse
from swarmdeck.cli.output import lazy_console

# Start-up: the compose back end (pydantic, the docker SDK) is imported by the commands.
if TYPE_CHECKING:
    import docker

    from swarmdeck.compose.journal import Slot
    from swarmdeck.compose.project import Event, ProjectPlan

compose_app = typer.Typer(
    cls=FailingGroup,
    no_args_is_help=True,
    help="Run a compose project on one engine, as `docker compose` does.",
)
out = lazy_console(soft_wrap=True, highlight=False)
err = lazy_console(stderr=True, soft_wrap=True, highlight=False)


@dataclass
class _Options:
    files: list[Path]
    project_name: str | None
    host: str | None


def _files(options: _Options) -> list[str]:
    from swarmdeck.compose.project.plan import default_files

    return [str(f) for f in options.files] or default_files(os.getcwd())


def _plan(ctx: typer.Context, warn: bool = False, scale: dict[str, int] | None = None) -> ProjectPlan:
    from swarmdeck.compose.project import load_plan

    options: _Options = ctx.obj
    plan = load_plan(_files(options), dict(os.environ), options.project_name, scale)
    for warning in plan.warnings if warn else ():
        err.print(f"[yellow]warning:[/] {warning}")
    return plan


def _project(ctx: typer.Context) -> str:
    """The project ``ps``, ``logs`` and ``down`` act on: found by its label, as Compose does,
    so what ``up`` would check in the files (replicas on a fixed port…) does not stop them."""
    from swarmdeck.compose.project.plan import project_name_of

    options: _Options = ctx.obj
    if options.project_name is not None:
        return project_name_of([], options.project_name)
    return project_name_of(_files(options), None)


def _journals() -> Path:
    """Where the CLI keeps its `compose up` journals."""
    from swarmdeck.store.datadir import compose_ups_folder

    return compose_ups_folder()


def _scope(client: docker.DockerClient) -> str:
    """What a journal is kept per: the engine (its ID, whichever address reaches it)."""
    from swarmdeck.compose.project.engine import engine_call

    return str(engine_call("ask the engine for its ID", client.info).get("ID") or "engine")


@contextmanager
def _journal(client: docker.DockerClient, project: str, then: str) -> Iterator[Slot]:
    """Project ``project``'s journal, held; an ``up`` it records that never returned is taken
    back first (``then``: what the command does next, for the message), and said so."""
    from swarmdeck.compose.journal import Slot
    from swarmdeck.compose.project import ProjectError, resume

    busy = ProjectError(
        f"another `compose up` of project {project} is running from this machine; wait for it"
    )
    slot = Slot(_journals(), _scope(client), project, busy)
    try:
        settled = slot.settle(partial(resume.take_back, client), resume.summary, ProjectError)
        if settled is not None:
            record, done = settled
            said = resume.summary(record) + "; taken back: " + (", ".join(done) or "it had changed nothing")
            err.print(f"[yellow]warning:[/] {said}; {then}")
        yield slot
    finally:
        slot.close()


def _show(event: Event) -> None:
    mark = "[yellow]![/]" if event.action.startswith("Orphaned") else "[green]✔[/]"
    out.print(f" {mark} {event}")


@compose_app.callback()
def _options(
    ctx: typer.Context,
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            help="Compose file; repeat to merge (default: compose.yaml or docker-compose.yml here).",
        ),
    ] = None,
    project_name: Annotated[
        str | None,
        typer.Option("--project-name", "-p", help="Project name (default: the first file's folder)."),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", "-H", envvar="DOCKER_HOST", help="Engine endpoint (default: the local socket)."
        ),
    ] = None,
) -> None:
    ctx.obj = _Options(file or [], project_name, host)


@compose_app.command("up")
def up_cmd(
    ctx: typer.Context,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Start and return (else follow the logs).")
    ] = False,
    scale: Annotated[
        list[str] | None,
        typer.Option(help="SERVICE=NUM: run NUM replicas instead of deploy.replicas; repeatable."),
    ] = None,
    remove_orphans: Annotated[
        bool, typer.Option(help="Remove containers of services that are no longer in the files.")
    ] = False,
) -> None:
    """Create and start the project's networks, volumes and containers; recreate what changed."""
    from swarmdeck.compose.project import Event, ProjectError, logs, up
    from swarmdeck.compose.project.engine import engine_call, project_containers
    from swarmdeck.compose.project.names import listed_name
    from swarmdeck.engine.client import connect

    plan = _plan(ctx, warn=True, scale=_scale(scale or []))
    client = connect(ctx.obj.host)
    with _journal(client, plan.name, "now bringing the project up") as slot:
        try:
            up(client, plan, progress=_show, remove_orphans=remove_orphans, journal=slot.record)
        except ProjectError:
            slot.clear()  # undone in-process, and said so
            raise
        slot.clear()
    if detach:
        return
    try:
        logs(client, plan.name, typer.echo, follow=True)
    except KeyboardInterrupt:
        err.print("Gracefully stopping... (press Ctrl+C again to force)")
        for container in project_containers(client, plan.name):
            engine_call(f"stop container {container.name}", container.stop)
            _show(Event("Container", listed_name(container), "Stopped"))


def _scale(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        service, sep, count = item.partition("=")
        if not sep or not count.isdigit():
            refuse(f"--scale {item}: expected SERVICE=NUM")
        out[service] = int(count)
    return out


@compose_app.command("down")
def down_cmd(
    ctx: typer.Context,
    volumes: Annotated[bool, typer.Option("--volumes", "-v", help="Also remove the named volumes.")] = False,
    timeout: Annotated[
        int | None, typer.Option("--timeout", "-t", help="Seconds to wait for each container to stop.")
    ] = None,
) -> None:
    """Stop and remove the project's containers and networks (volumes with -v)."""
    from swarmdeck.compose.project import down
    from swarmdeck.engine.client import connect

    name = _project(ctx)
    client = connect(ctx.obj.host)
    with _journal(client, name, "now removing the project") as slot:
        events = down(client, name, volumes, timeout, progress=_show)
        slot.clear()
    if not events:
        err.print(f'[yellow]warning:[/] No resource found to remove for project "{name}".')


@compose_app.command("ps")
def ps_cmd(
    ctx: typer.Context,
    all: Annotated[bool, typer.Option("--all", "-a", help="Also stopped containers.")] = False,
) -> None:
    """List the project's running containers."""
    from swarmdeck.compose.project import ps
    from swarmdeck.engine.client import connect

    client = connect(ctx.obj.host)
    name = _project(ctx)
    rows = ps(client, name, all)
    _cut_short(client, name)
    lines = [("NAME", "IMAGE", "SERVICE", "STATUS", "PORTS")]
    lines += [(r.name, r.image, r.service, r.status, r.ports) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    for line in lines:  # plain columns: never truncated, easy to parse
        typer.echo("   ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)) + "   " + line[4])


def _cut_short(client: docker.DockerClient, project: str) -> None:
    """Say so if an ``up`` of ``project`` died half-way (nothing while one is running)."""
    from swarmdeck.compose.journal import Busy, Slot, path_of
    from swarmdeck.compose.project import resume

    scope = _scope(client)
    if not path_of(_journals(), scope, project).exists():
        return
    try:
        slot = Slot(_journals(), scope, project)
    except Busy:
        return
    try:
        record = slot.left()
    finally:
        slot.close()
    if record is not None:
        err.print(
            f"[yellow]warning:[/] {resume.summary(record)}: the project may be half made; "
            "the next `compose up` takes that run back, `compose down` removes the project"
        )


@compose_app.command("logs")
def logs_cmd(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Only these services.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Follow the output.")] = False,
) -> None:
    """Show the containers' output, each line prefixed with `service-n |`."""
    from swarmdeck.compose.project import logs
    from swarmdeck.engine.client import connect

    try:
        logs(connect(ctx.obj.host), _project(ctx), typer.echo, services or (), follow)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    """Add `swarmdeck compose ...` to the main command line."""
    app.add_typer(compose_app, name="compose")
