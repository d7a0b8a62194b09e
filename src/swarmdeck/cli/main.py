"""`swarmdeck` — the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli import compose_cmds
from swarmdeck.cli.console_cmds import register as register_console
from swarmdeck.cli.failing import FailingGroup, refuse, watch
from swarmdeck.cli.machine_cmds import register as register_machine
from swarmdeck.cli.node_cmds import register as register_node
from swarmdeck.cli.output import TerminalReporter, lazy_console
from swarmdeck.cli.registry_cmds import register as register_registry
from swarmdeck.cli.secret_cmds import register as register_secret
from swarmdeck.cli.service_cmds import register as register_service
from swarmdeck.cli.stack_cmds import register as register_stack
from swarmdeck.cli.swarm_cmds import register as register_swarm
from swarmdeck.engine.routing import Routing

# Start-up: `swarmdeck --help` must not load the docker SDK, pydantic or the console, so
# each command imports the engine, swarm, images and platform modules it uses itself.
if TYPE_CHECKING:
    from swarmdeck.platform.console_service import ConsoleState

app = typer.Typer(
    cls=FailingGroup,
    no_args_is_help=True,
    add_completion=True,
    help="Build, ship and run friendlyhello on Docker and Docker Swarm.",
    epilog="Exit status: 0 success, 1 error, 2 usage.",
)
image_app = typer.Typer(cls=FailingGroup, no_args_is_help=True, help="Build, bootstrap and push images.")
app.add_typer(image_app, name="image")
register_console(app)
compose_cmds.register(app)
register_stack(app)
register_swarm(app)
register_node(app)
register_secret(app)
register_service(app)
register_machine(app)

out = lazy_console(soft_wrap=True)
err = lazy_console(stderr=True, soft_wrap=True)

EndpointOpt = Annotated[
    str | None,
    typer.Option("--host", "-H", envvar="DOCKER_HOST", help="Engine endpoint (default: the local socket)."),
]


@app.command()
def up(
    host: EndpointOpt = None,
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
    no_console: Annotated[
        bool, typer.Option("--no-console", help="Do not deploy the console (the `swarmdeck` stack).")
    ] = False,
) -> None:
    """The report's whole walkthrough: registry, build, push, swarm, stack, verification,
    and the console (the `swarmdeck` stack)."""
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
    )
    if app_dir is not None:
        options.app_dir = app_dir
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


@app.command()
def down(
    host: EndpointOpt = None,
    volumes: Annotated[bool, typer.Option("--volumes", "-v", help="Also remove the data volumes.")] = False,
    registry: Annotated[
        bool, typer.Option("--registry", help="Also remove the registry swarmdeck started.")
    ] = False,
) -> None:
    """Remove the friendlyhello and swarmdeck stacks; data volumes stay unless --volumes."""
    from swarmdeck.platform import walkthrough

    reporter = watch(TerminalReporter(out))
    walkthrough.down("friendlyhello", host, volumes, registry, reporter)


@image_app.command("bootstrap")
def image_bootstrap(
    host: EndpointOpt = None,
    role: Annotated[
        list[str] | None,
        typer.Option(help="Only this base image (python, redis, registry, proxy); repeatable."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the result, not what is being done.")
    ] = False,
) -> None:
    """Build the base images from the host's Debian mirror (no Docker Hub needed).

    Shows each image's place among those being built, the packages fetched so far and the
    time taken; plain lines when the output is not a terminal."""
    from swarmdeck.engine.client import connect
    from swarmdeck.images.bootstrap import bootstrap as bootstrap_images

    reporter = watch(TerminalReporter(out, quiet=quiet))
    client = connect(host)
    reporter.step("Bootstrap base images")
    built = bootstrap_images(client, roles=role or None, progress=lambda r, m: reporter.detail(f"{r}: {m}"))
    reporter.done(", ".join(f"{r}={tag}" for r, tag in built.items()))


@image_app.command("build")
def image_build(
    context: Annotated[Path, typer.Argument(help="Build context (folder with a Dockerfile).")],
    tag: Annotated[str, typer.Option("--tag", "-t", help="Name:tag of the image.")],
    build_arg: Annotated[list[str] | None, typer.Option(help="KEY=VALUE; repeatable.")] = None,
    host: EndpointOpt = None,
) -> None:
    """`docker build`, with progress."""
    from swarmdeck.engine.client import connect
    from swarmdeck.images.build import build_image

    args = {}
    for item in build_arg or []:
        key, sep, value = item.partition("=")
        if not sep:
            refuse(f"--build-arg {item!r}: expected KEY=VALUE")
        args[key] = value
    reporter = watch(TerminalReporter(out))
    client = connect(host)
    reporter.step(f"Build {tag}")
    image_id = build_image(client, context, tag, args, progress=reporter.detail)
    reporter.done(image_id)


@image_app.command("push")
def image_push(reference: str, host: EndpointOpt = None) -> None:
    """`docker push`, with progress."""
    from swarmdeck.engine.client import connect
    from swarmdeck.images.build import push_image

    reporter = watch(TerminalReporter(out))
    client = connect(host)
    reporter.step(f"Push {reference}")
    reporter.done(push_image(client, reference, progress=reporter.detail))


register_registry(app, out)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
