"""`swarmdeck stack deploy|ls|services|ps|rm`: the docker CLI's stack commands, natively.

Deploying is the compose layer's stack back end; listing and removing the swarm layer's
(``swarm.stack_tables``, ``swarm.stacks``). Here: the options, the output, and the docker
CLI's answers to a stack that is not there ("Nothing found in stack", exit status 0).

All or nothing across a killed CLI: ``deploy`` holds the stack's journal
(``compose.stack.journal.Slot``, under ``<data dir>/stack-deploys``) while it runs and writes
the plan's intent there before the first change. A journal left by a CLI that died half-way
(SIGKILL, a lost terminal, a reboot) is taken back by the next ``deploy`` or ``rm`` of that
stack, which says so before doing its own work. That next command is the one the user runs
anyway, so no extra verb has to be known, and the stack is never deployed over, or removed
from, a half-made state that only the journal knows about.

A re-deploy of files, variables and options unchanged since the last deploy, onto services
unchanged since, is answered by ``stack_fastpath`` before the compose loader, the docker SDK
or pydantic is imported; anything else takes the full path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli.failing import FailingGroup
from swarmdeck.cli.formats import HostOpt

# Start-up: the compose, engine and swarm modules (the docker SDK, pydantic) are imported by
# the commands that use them, never here. The reads (ls, services, ps) use the light
# read-only client (``engine.light``), so they never import the docker SDK.
if TYPE_CHECKING:
    import docker

    from swarmdeck.compose.stack.journal import Slot
    from swarmdeck.swarm.errors import NoSuchStack

stack_app = typer.Typer(
    cls=FailingGroup, no_args_is_help=True, help="Deploy and manage stacks (compose files on a swarm)."
)

NameArg = Annotated[str, typer.Argument(help="Stack name.", metavar="STACK")]


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def _nothing(exc: NoSuchStack) -> str:
    return f"Nothing found in stack: {exc.name}"


def _sources(files: list[str]) -> list[str | tuple[str, str]]:
    return [("-", sys.stdin.read()) if f == "-" else f for f in files]


def _journals() -> Path:
    """Where the CLI keeps its stack deploy journals."""
    from swarmdeck.store.datadir import stack_deploys_folder

    return stack_deploys_folder()


@contextmanager
def _journal(client: docker.DockerClient, name: str) -> Iterator[Slot]:
    """Stack ``name``'s journal, held; a deploy it records that never returned is taken back
    first, and said so."""
    from swarmdeck.compose.stack import journal

    slot = journal.Slot(_journals(), journal.scope(client), name)
    try:
        done = journal.take_back(client, slot)
        if done is not None:
            _err(
                f"A deploy of stack {name} was cut short earlier (its process died); taken back: "
                + (", ".join(done) or "it had not changed anything yet")
            )
        yield slot
    finally:
        slot.close()


@stack_app.command("deploy")
def deploy_cmd(
    name: NameArg,
    compose_file: Annotated[
        list[str],
        typer.Option("--compose-file", "-c", help="Path to a Compose file, or - to read from stdin."),
    ],
    prune: Annotated[
        bool, typer.Option("--prune", help="Prune services that are no longer referenced.")
    ] = False,
    resolve_image: Annotated[
        str,
        typer.Option(
            "--resolve-image",
            help="Query the registry to resolve image digest and supported "
            "platforms (always, changed, never).",
        ),
    ] = "always",
    with_registry_auth: Annotated[
        bool,
        typer.Option("--with-registry-auth", help="Send registry authentication details to Swarm agents."),
    ] = False,
    detach: Annotated[
        bool | None,
        typer.Option(
            "--detach/--no-detach",
            "-d",
            help="Exit immediately instead of waiting for the stack services to converge.",
        ),
    ] = None,
    plan: Annotated[
        bool,
        typer.Option("--plan", help="Print what would be created, updated and removed, and change nothing."),
    ] = False,
    host: HostOpt = None,
) -> None:
    """Deploy a new stack or update an existing stack."""
    from swarmdeck.cli import stack_fastpath

    key = stack_fastpath.Key.of(
        compose_file,
        name,
        host,
        resolve_image=resolve_image,
        with_registry_auth=with_registry_auth,
        prune=prune,
        detach=detach,
        plan=plan,
    )
    if key is not None and stack_fastpath.answer(key, detach):
        return  # nothing would change: the full path's words, without its imports

    from swarmdeck.compose import journal as journals
    from swarmdeck.compose import load
    from swarmdeck.compose.stack import DeployOptions, deploy, journal
    from swarmdeck.compose.stack.errors import StackError
    from swarmdeck.engine.client import connect
    from swarmdeck.errors import SwarmdeckError

    loaded = load(_sources(compose_file), env=dict(os.environ))
    stack_fastpath.show_warnings(loaded.warnings)
    options = DeployOptions(
        namespace=name,
        prune=prune,
        resolve_image=resolve_image,
        with_registry_auth=with_registry_auth,
        detach=True if detach is None else detach,
        plan_only=plan,
    )
    if detach is None and not plan:
        _err(stack_fastpath.DETACH_NOTE)
    client = connect(host)
    if plan:
        deploy(client, loaded, options, out=_out, err=_err)
        if journals.path_of(_journals(), journal.scope(client), name).exists():
            _err(f"A deploy of stack {name} was cut short earlier; the next deploy or rm takes it back.")
        return
    with _journal(client, name) as slot:
        options.before_changes = slot.write
        options.after_changes = slot.clear  # done: nothing to take back, even if the wait is cut
        if key is not None:
            stack_fastpath.forget(key, _journals())
        try:
            report = deploy(client, loaded, options, out=_out, err=_err)
        except SwarmdeckError:
            slot.clear()  # failed, and the deploy took itself back
            raise
        except KeyboardInterrupt:
            done = journal.take_back(client, slot)  # None: no change had been sent, or all were
            if done is None:
                raise
            raise StackError(
                f"interrupted; undone: {', '.join(done) or 'nothing had been changed yet'}"
            ) from None
        # a process killed before the end keeps the journal: the next deploy or rm takes it back
        if key is not None:
            stack_fastpath.remember(key, _journals(), client, report, loaded, slot.path)


@stack_app.command("ls")
def ls_cmd(host: HostOpt = None) -> None:
    """List stacks."""
    from swarmdeck.engine.light import read_client
    from swarmdeck.swarm import stack_tables

    for line in stack_tables.ls_lines(read_client(host)):
        _out(line)


@stack_app.command("services")
def services_cmd(name: NameArg, host: HostOpt = None) -> None:
    """List the services in the stack."""
    from swarmdeck.engine.light import read_client
    from swarmdeck.swarm import stack_tables
    from swarmdeck.swarm.errors import NoSuchStack

    try:
        for line in stack_tables.services_lines(read_client(host), name):
            _out(line)
    except NoSuchStack as exc:  # the docker CLI's answer: a message, and exit status 0
        _err(_nothing(exc))


@stack_app.command("ps")
def ps_cmd(name: NameArg, host: HostOpt = None) -> None:
    """List the tasks in the stack."""
    from swarmdeck.engine.light import read_client
    from swarmdeck.swarm import stack_tables

    for line in stack_tables.ps_lines(read_client(host), name):
        _out(line)


@stack_app.command("rm")
def rm_cmd(
    names: Annotated[list[str], typer.Argument(help="Stack names.", metavar="STACK...")],
    detach: Annotated[
        bool, typer.Option("--detach/--no-detach", "-d", help="Do not wait for stack removal.")
    ] = True,
    host: HostOpt = None,
) -> None:
    """Remove one or more stacks."""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import stacks
    from swarmdeck.swarm.errors import NoSuchStack

    client = connect(host)
    for name in names:
        with _journal(client, name):
            try:
                stacks.remove(client, name, out=_out, err=_err, wait=not detach)
            except NoSuchStack as exc:  # the docker CLI's answer: a message, and exit status 0
                _err(_nothing(exc))


@stack_app.command("config", epilog="Example: swarmdeck stack config -c docker-compose.yml -c prod.yml")
def config_cmd(
    compose_file: Annotated[
        list[str],
        typer.Option("--compose-file", "-c", help='Path to a Compose file, or "-" to read from stdin.'),
    ],
    skip_interpolation: Annotated[
        bool,
        typer.Option("--skip-interpolation", help="Skip interpolation and output only merged config."),
    ] = False,
) -> None:
    """Outputs the final config file, after doing merges and interpolations."""
    from swarmdeck.compose import load as load_files
    from swarmdeck.compose.dump import dump

    loaded = load_files(
        _sources(compose_file),
        env=dict(os.environ),
        interpolate=not skip_interpolation,
        deploy_checks=False,
    )
    for warning in loaded.warnings:
        _err(warning)
    sys.stdout.write(dump(loaded.project, loaded.extensions))


for _alias in ("remove", "down"):  # the docker CLI's aliases of `stack rm`
    stack_app.command(_alias, hidden=True)(rm_cmd)


def register(app: typer.Typer) -> None:
    """Add the `stack` command group to the main application."""
    app.add_typer(stack_app, name="stack")
