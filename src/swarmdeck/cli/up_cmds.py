"""`swarmdeck up` and `down`: the report's whole walkthrough in one command, and its undoing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli.failing import watch
from swarmdeck.cli.formats import HostOpt
from swarmdeck.cli.output import TerminalReporter, lazy_console
from swarmdeck.engine.routing import Routing

if TYPE_CHECKING:
    from swarmdeck.platform.console_service import ConsoleState

out = lazy_console(soft_wrap=True)


_commands = typer.Typer()


@_commands.command()
def up(
    host: HostOpt = None,
    registry: Annotated[
        str | None,
        typer.Option(
            help="Use this existing registry (HOST:PORT, reachable by every node) instead of starting one."
        ),
    ] = None,
    registry_port: Annotated[int, typer.Option(help="Port of the registry swarmdeck starts.")] = 5000,
    routing: Annotated[
        Routing | None,
        typer.Option(
            help="mesh: Swarm's ingress (needs IPVS); proxy: a proxy on every node. Default: detect."
        ),
    ] = None,
    advertise_addr: Annotated[
        str | None, typer.Option(help="Address to advertise when a new swarm is initialised.")
    ] = None,
    requests: Annotated[int, typer.Option(help="Verification requests per node.")] = 10,
    app_dir: Annotated[Path | None, typer.Option(help="friendlyhello's folder.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the replicas.")] = 300.0,
    console_port: Annotated[int, typer.Option(help="The console's port on this host.")] = 9000,
    machines: Annotated[
        str | None,
        typer.Option(
            "--machines",
            help="Make the swarm of these machines (`swarmdeck machine create`), comma-separated, "
            "the first its manager; images are built here and sent to them.",
        ),
    ] = None,
    console_replicas: Annotated[
        int,
        typer.Option(
            min=1,
            max=16,
            help="Run the console as this many replicas behind the swarm's ingress (more than one "
            "needs --console-database-url).",
        ),
    ] = 1,
    console_database_url: Annotated[
        str | None,
        typer.Option(
            envvar="SWARMDECK_CONSOLE_DATABASE_URL",
            help="The console's database (postgresql+psycopg://USER:PASSWORD@HOST/DB), shared by its "
            "replicas, given to them as a swarm secret (never in the service's spec or environment); "
            "default: SQLite on the console's volume.",
        ),
    ] = None,
    no_console: Annotated[
        bool, typer.Option("--no-console", help="Do not deploy the console (the `swarmdeck` stack).")
    ] = False,
) -> None:
    """The report's whole walkthrough: registry, build, push, swarm, stack, verification,
    and the console (the `swarmdeck` stack).

    Example: swarmdeck up --machines myvm1,myvm2"""
    from swarmdeck.platform import walkthrough

    options = walkthrough.UpOptions(
        endpoint=host,
        registry=registry,
        registry_port=registry_port,
        routing=routing,
        advertise_addr=advertise_addr,
        requests_per_node=requests,
        timeout=timeout,
        console=not no_console,
        console_port=console_port,
        console_replicas=console_replicas,
        console_database_url=console_database_url,
    )
    if app_dir is not None:
        options.app_dir = app_dir
    if machines:
        from swarmdeck.platform.machine_hosts import hosts_of

        options.hosts = hosts_of([m.strip() for m in machines.split(",") if m.strip()])
    reporter = watch(TerminalReporter(out))
    summary = walkthrough.up(options, reporter)
    out.print()
    out.print(
        f"[bold]friendlyhello is up[/] ({summary.routing.value} routing, "
        f"{len(summary.nodes)} node(s), image {summary.image})."
    )
    for url in summary.urls:
        out.print(f"  {url}")
    if summary.console is not None:
        _print_console(summary.console)
    out.print(f"Registry: {summary.registry}   Remove with: swarmdeck down")


def _print_console(console: ConsoleState) -> None:
    """The console's address and, until it has an admin, how to create the first one.

    The setup code goes to the operator's terminal only (it is never in a log or a step line).
    """
    out.print("[bold]The swarmdeck console[/] (stack swarmdeck, service console):", highlight=False)
    for url in console.urls:
        out.print(f"  {url}", highlight=False)
    if console.setup_code:
        out.print(
            f"Create the first admin at {console.urls[0]}setup with setup code {console.setup_code}",
            highlight=False,
        )
    elif console.setup_required:
        out.print(
            f"Create the first admin at {console.urls[0]}setup; its setup code: "
            "swarmdeck console setup-code --service",
            highlight=False,
        )


@_commands.command()
def down(
    host: HostOpt = None,
    volumes: Annotated[bool, typer.Option("--volumes", "-v", help="Also remove the data volumes.")] = False,
    registry: Annotated[
        bool, typer.Option("--registry", help="Also remove the registry swarmdeck started.")
    ] = False,
) -> None:
    """Remove the friendlyhello and swarmdeck stacks; data volumes stay unless --volumes."""
    from swarmdeck.platform import walkthrough

    reporter = watch(TerminalReporter(out))
    walkthrough.down("friendlyhello", host, volumes, registry, reporter)


def register(app: typer.Typer) -> None:
    """Add `up` and `down` to the main application."""
    app.registered_commands += _commands.registered_commands
