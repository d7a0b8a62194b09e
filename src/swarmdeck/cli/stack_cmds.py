"""`swarmdeck stack deploy|ls|services|ps|rm`: the docker CLI's stack commands, natively.

Deploying is the compose layer's stack back end; listing and removing the swarm layer's
(``swarm.stack_tables``, ``swarm.stacks``). Here: the options, the output, and the docker
CLI's answers to a stack that is not there ("Nothing found in stack", exit status 0).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli.failing import FailingGroup
from swarmdeck.cli.formats import HostOpt

# Start-up: the compose, engine and swarm modules (the docker SDK, pydantic) are imported by
# the commands that use them, never here. The reads (ls, services, ps) use the light
# read-only client (``engine.light``), so they never import the docker SDK.
if TYPE_CHECKING:
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
    from swarmdeck.compose import load
    from swarmdeck.compose.stack import DeployOptions, deploy
    from swarmdeck.engine.client import connect

    loaded = load(_sources(compose_file), env=dict(os.environ))
    for warning in loaded.warnings:
        _err(warning + "\n")
    options = DeployOptions(
        namespace=name,
        prune=prune,
        resolve_image=resolve_image,
        with_registry_auth=with_registry_auth,
        detach=True if detach is None else detach,
        plan_only=plan,
    )
    if detach is None and not plan:
        _err(
            "Since --detach=false was not specified, tasks will be created in the "
            "background.\nIn a future release, --detach=false will become the default."
        )
    deploy(connect(host), loaded, options, out=_out, err=_err)


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
