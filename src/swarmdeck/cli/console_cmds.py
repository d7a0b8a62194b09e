"""`swarmdeck serve`, `swarmdeck user create` and `swarmdeck console …`: the console as a process,
its accounts, its first run and its backups."""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli.failing import FailingGroup, Refused, refuse
from swarmdeck.cli.output import lazy_console
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store.roles import Role

if TYPE_CHECKING:
    from fastapi import FastAPI

err = lazy_console(stderr=True, soft_wrap=True)
out = lazy_console(soft_wrap=True)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="SWARMDECK_DATA_DIR",
        help="The console's state (default: ~/.local/share/swarmdeck).",
    ),
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="SWARMDECK_DATABASE_URL",
        help="A SQLAlchemy URL (e.g. postgresql+psycopg://…) instead of SQLite in the data dir.",
    ),
]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9000,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine", envvar="DOCKER_HOST", help="The local endpoint (default: the local socket)."
        ),
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(help="Mark cookies Secure (when the console is reached over HTTPS through a proxy)."),
    ] = False,
    registry: Annotated[
        list[str] | None,
        typer.Option(
            "--registry",
            envvar="SWARMDECK_REGISTRY",
            metavar="HOST:PORT",
            help="A registry to list, added on start unless listed already (`up` passes its own); "
            "repeatable.",
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            metavar="ADDR/CIDR",
            help="A reverse proxy whose X-Forwarded-For (or Forwarded) names the client, for the "
            "login throttle and the audit log; repeatable. From others those headers are "
            "ignored.",
        ),
    ] = None,
    database_url_file: Annotated[
        Path | None,
        typer.Option(
            "--database-url-file",
            envvar="SWARMDECK_DATABASE_URL_FILE",
            help="A file holding the database URL (e.g. a swarm secret), instead of --database-url: "
            "its password stays out of the command line and the environment.",
        ),
    ] = None,
    shared_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--shared-secret-file",
            envvar="SWARMDECK_SHARED_SECRET_FILE",
            help="A secret (32+ random bytes) all replicas of this console read: its keys and "
            "setup code are derived from it, so replicas sharing --database-url act as one.",
        ),
    ] = None,
) -> None:
    """Run the web console (JSON API under /api, pages at /)."""
    import logging

    import uvicorn

    from swarmdeck.console import create_app
    from swarmdeck.store import default_data_dir
    from swarmdeck.store.db import read_database_url_file

    if database_url_file is not None:
        if database_url:
            refuse(
                "give the database URL with --database-url (or SWARMDECK_DATABASE_URL) or with "
                "--database-url-file, not both"
            )
        database_url = read_database_url_file(database_url_file)

    # The console's own warnings (a data directory found readable by others) on stderr, in
    # uvicorn's format; uvicorn configures only its own loggers.
    logging.basicConfig(format="%(levelname)s:  %(message)s", level=logging.WARNING)

    app = create_app(
        data_dir or default_data_dir(),
        database_url=database_url,
        engine_url=engine,
        secure_cookies=secure_cookies,
        trusted_proxies=trusted_proxy or (),
        shared_secret_file=shared_secret_file,
    )
    _add_registries(app, registry or [])
    if not _loopback(host):
        err.print(
            f"[yellow]warning:[/] listening on {host}: serve it behind a TLS proxy "
            "(and use --secure-cookies); plain HTTP exposes passwords and sessions",
            highlight=False,
        )
    if not app.state.console.set_up():
        where = app.state.console.store.data_dir
        out.print(
            f"No admin yet: open http://{host}:{port}/setup with the one-time setup code "
            f"(`swarmdeck console setup-code --data-dir {where}`, or the file {where}/setup-code; "
            "for the console service that `swarmdeck up` deployed, run "
            "`swarmdeck console setup-code --service` on its host), "
            "or run `swarmdeck user create NAME --role admin --password-stdin`.",
            highlight=False,
        )
    uvicorn.run(
        app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False, ws="wsproto"
    )


def _add_registries(app: FastAPI, addresses: list[str]) -> None:
    """Add each registry (no credentials; its CA, like the engine, from /etc/docker/certs.d)
    unless one at that address is listed already, the managed one included."""
    from swarmdeck.console.registries import app_registries

    registries = app_registries(app)
    for address in addresses:
        try:
            if any(r.address == address for r in registries.list()):
                continue
            name = re.sub(r"[^a-z0-9._-]+", "-", address.lower()).strip("-._")[:64]
            added = registries.add(name, address, None, None, None)
        except SwarmdeckError as exc:
            raise Refused(f"--registry {address}: {exc}") from exc
        out.print(f"added registry {added.name} at {added.address}", highlight=False)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


user_app = typer.Typer(cls=FailingGroup, no_args_is_help=True, help="Console accounts.")


@user_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[Role, typer.Option(help="admin, operator or read-only.")] = Role.READ_ONLY,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (required).")
    ] = False,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a console user (the first admin too: there is no default password)."""
    if not password_stdin:
        refuse(
            "give the password on standard input with --password-stdin "
            "(never on the command line, where other users see it)"
        )
    password = sys.stdin.readline().rstrip("\r\n")
    from swarmdeck.store import Store, default_data_dir

    store = Store(data_dir or default_data_dir(), database_url)
    try:
        user = store.create_user(name, password, role)
    finally:
        store.close()
    out.print(f"created {user.role.value} user {user.username}", highlight=False)


console_app = typer.Typer(
    cls=FailingGroup, no_args_is_help=True, help="The console's first run, backup and restore."
)


@console_app.command("setup-code")
def setup_code(
    data_dir: DataDirOpt = None,
    service: Annotated[
        bool, typer.Option("--service", help="Read it from the console service that `swarmdeck up` deployed.")
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--host",
            "-H",
            envvar="DOCKER_HOST",
            help="With --service: the engine (default: the local socket).",
        ),
    ] = None,
) -> None:
    """Print the one-time code the setup page asks for (it exists until an admin does)."""
    if service:
        _service_setup_code(engine)
        return
    from swarmdeck.store import default_data_dir
    from swarmdeck.store.setupcode import read_setup_code, setup_code_path

    where = data_dir or default_data_dir()
    try:
        code = read_setup_code(where)
    except OSError as exc:
        refuse(f"cannot read {setup_code_path(where)}: {exc.strerror} (run this as the console's user)")
    if code is None:
        refuse(
            f"no setup code in {setup_code_path(where)}: either an admin exists already (log in), "
            f"or the console has not started with this data directory (`swarmdeck serve "
            f"--data-dir {where}` writes it)"
        )
    out.print(code, highlight=False)


@console_app.command("backup")
def backup(
    file: Annotated[
        Path, typer.Argument(help="The archive to write (a gzipped tar; it holds the keys: keep it safe).")
    ],
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Back up the console's state (database, keys, settings) to FILE, while it runs or not."""
    if database_url:
        refuse(
            "the console keeps its state in the database at --database-url: back that up with "
            "its own tools (pg_dump); this backup covers a data directory's SQLite database"
        )
    from swarmdeck.store import default_data_dir
    from swarmdeck.store.backup import write_backup_file

    where = data_dir or default_data_dir()
    manifest = write_backup_file(where, file)
    out.print(
        f"backed up {where} to {file} ({len(manifest.files)} files, swarmdeck {manifest.swarmdeck_version})",
        highlight=False,
    )


@console_app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="An archive `swarmdeck console backup` wrote.")],
    data_dir: Annotated[
        Path,
        typer.Option("--data-dir", help="The data directory to restore into (absent or empty)."),
    ],
) -> None:
    """Restore the console's state from FILE into a new data directory (then `serve` it)."""
    from swarmdeck.store.backup import restore_backup

    manifest = restore_backup(file, data_dir)
    out.print(
        f"restored {file} (made {manifest.created} by swarmdeck {manifest.swarmdeck_version}) "
        f"into {data_dir}: run `swarmdeck serve --data-dir {data_dir}`",
        highlight=False,
    )


def _service_setup_code(engine: str | None) -> None:
    from swarmdeck.engine.client import connect
    from swarmdeck.platform import console_service

    code = console_service.read_setup_code(connect(engine))
    if code is None:
        refuse("the console service has no setup code: an admin exists already (log in)")
    out.print(code, highlight=False)


def register(app: typer.Typer) -> None:
    """Add `serve`, `user` and `console` to the swarmdeck command line."""
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
    app.add_typer(console_app, name="console")
