"""`swarmdeck registry ls|tags|show|rm` — browse and clean a registry from the shell."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli.failing import FailingGroup, refuse
from swarmdeck.cli.output import lazy_console

# Start-up: the registry client (requests), the engine and the platform are imported by the
# commands that use them, never here.
if TYPE_CHECKING:
    from swarmdeck.registry.client import RegistryClient

AddressArg = Annotated[str, typer.Argument(help="The registry, HOST:PORT as in image names.")]
UserOpt = Annotated[
    str | None,
    typer.Option(
        "--username", "-u", envvar="SWARMDECK_REGISTRY_USER", help="User name, if the registry needs one."
    ),
]


def _client(address: str, username: str | None) -> RegistryClient:
    from swarmdeck.registry.client import RegistryClient

    # The password only from the environment: never on the command line (shell history, ps).
    password = os.environ.get("SWARMDECK_REGISTRY_PASSWORD") if username else None
    # Token services on plain HTTP elsewhere than the registry's host that may get the credentials.
    realms = tuple(os.environ.get("SWARMDECK_REGISTRY_ALLOWED_REALMS", "").replace(",", " ").split())
    return RegistryClient(address, username, password, allowed_realms=realms)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def register(app: typer.Typer) -> None:
    """Add the `registry` command group to the main application."""
    out = lazy_console(soft_wrap=True)
    registry_app = typer.Typer(
        cls=FailingGroup, no_args_is_help=True, help="Browse and clean an image registry."
    )
    app.add_typer(registry_app, name="registry")

    @registry_app.command("ls")
    def registry_ls(
        address: AddressArg,
        username: UserOpt = None,
        limit: Annotated[int, typer.Option("-n", help="Repositories per page.")] = 100,
        last: Annotated[str, typer.Option(help="Start after this repository.")] = "",
    ) -> None:
        """List repositories, one page at a time (the registry pages, not us)."""
        with _client(address, username) as registry:
            page = registry.catalog(limit, last)
        for name in page.items:
            out.print(name, highlight=False)
        if page.next_last:
            out.print(
                f"[dim]more: swarmdeck registry ls {address} --last {page.next_last}[/]", highlight=False
            )

    @registry_app.command("tags")
    def registry_tags(address: AddressArg, repository: str, username: UserOpt = None) -> None:
        """List a repository's tags."""
        with _client(address, username) as registry:
            tags = registry.tags(repository)
        for tag in tags:
            out.print(tag, highlight=False)

    @registry_app.command("show")
    def registry_show(
        address: AddressArg,
        image: Annotated[str, typer.Argument(help="REPOSITORY[:TAG|@DIGEST]")],
        username: UserOpt = None,
    ) -> None:
        """A tag's manifest: platforms or layers, sizes, created, history."""
        from rich.table import Table

        from swarmdeck.registry.names import split_image

        repository, reference = split_image(image)
        with _client(address, username) as registry:
            manifest = registry.manifest(repository, reference)
            config = {} if manifest.is_index else registry.image_config(repository, manifest.config_digest)
        out.print(f"{address}/{repository}:{reference}", highlight=False)
        out.print(f"digest      {manifest.digest}\nmedia type  {manifest.media_type}", highlight=False)
        if manifest.is_index:
            table = Table("PLATFORM", "DIGEST", "MANIFEST SIZE")
            for p in manifest.platforms:
                table.add_row(str(p), p.digest, _human(p.size))
            out.print(table)
            return
        out.print(
            f"platform    {config.get('os', '')}/{config.get('architecture', '')}\n"
            f"created     {config.get('created', '')}\n"
            f"size        {_human(manifest.image_size)} compressed",
            highlight=False,
        )
        table = Table("LAYER", "SIZE", "CREATED BY")
        steps = [h for h in config.get("history") or [] if not h.get("empty_layer")]
        for i, layer in enumerate(manifest.layers):
            step = steps[i].get("created_by", "") if i < len(steps) else ""
            table.add_row(layer.digest[:19], _human(layer.size), step[:80])
        out.print(table)

    @registry_app.command("rm")
    def registry_rm(
        address: AddressArg,
        image: Annotated[str, typer.Argument(help="REPOSITORY:TAG or REPOSITORY@DIGEST")],
        username: UserOpt = None,
        force: Annotated[
            bool, typer.Option("--force", "-f", help="Delete even when other tags share the digest.")
        ] = False,
    ) -> None:
        """Delete a tag's manifest (every tag on the same digest goes with it)."""
        from swarmdeck.registry.names import split_image

        repository, reference = split_image(image)
        with _client(address, username) as registry:
            digest = registry.digest(repository, reference)
            sharing = [
                t
                for t in registry.tags(repository)
                if t != reference and registry.digest(repository, t) == digest
            ]
            if sharing and not force:
                refuse(
                    f"{repository}@{digest[:19]} is also tagged {', '.join(sharing)}: deleting "
                    f"removes those tags too; add --force to delete them all"
                )
            registry.delete(repository, digest)
        out.print(
            f"deleted {repository}@{digest}" + (f" (also tagged {', '.join(sharing)})" if sharing else ""),
            highlight=False,
        )
        out.print("The space returns only after the registry's garbage collection.")

    @registry_app.command("gc")
    def registry_gc(
        host: Annotated[
            str | None, typer.Option("--host", "-H", envvar="DOCKER_HOST", help="Engine endpoint.")
        ] = None,
    ) -> None:
        """Garbage-collect the registry swarmdeck started (it pauses for a few seconds)."""
        from swarmdeck.engine.client import connect
        from swarmdeck.platform.private_registry import garbage_collect

        collected = garbage_collect(connect(host))
        out.print(
            f"{collected.blobs_deleted} blob(s) deleted; storage "
            f"{_human(collected.bytes_before)} -> {_human(collected.bytes_after)}",
            highlight=False,
        )
