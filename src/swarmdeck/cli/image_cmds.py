"""`swarmdeck image`: build, bootstrap and push images, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from swarmdeck.cli.failing import FailingGroup, refuse, watch
from swarmdeck.cli.formats import HostOpt
from swarmdeck.cli.output import TerminalReporter, lazy_console

out = lazy_console(soft_wrap=True)
image_app = typer.Typer(cls=FailingGroup, no_args_is_help=True, help="Build, bootstrap and push images.")


@image_app.command("bootstrap")
def image_bootstrap(
    host: HostOpt = None,
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
    host: HostOpt = None,
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
def image_push(reference: str, host: HostOpt = None) -> None:
    """`docker push`, with progress."""
    from swarmdeck.engine.client import connect
    from swarmdeck.images.build import push_image

    reporter = watch(TerminalReporter(out))
    client = connect(host)
    reporter.step(f"Push {reference}")
    reporter.done(push_image(client, reference, progress=reporter.detail))


def register(app: typer.Typer) -> None:
    """Add the `image` command group to the main application."""
    app.add_typer(image_app, name="image")
