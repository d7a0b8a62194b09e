"""`swarmdeck secret|config ls|create|inspect|rm`: the docker CLI's secret and config commands.

Thin adapters over ``swarm.objects`` (the console's routes use the same functions). Here:
the options, docker's tables (``ls``), its one-object-a-line JSON (``--format json``), its
inspect arrays and ``--pretty`` text, and what ``create`` and ``rm`` print.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from swarmdeck.cli import formats
from swarmdeck.cli.failing import FailingGroup, refuse
from swarmdeck.cli.formats import FormatOpt, HostOpt, QuietOpt

if TYPE_CHECKING:
    from swarmdeck.swarm.objects import Kind, ObjectView

FilterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        "-f",
        metavar="KEY=VALUE",
        help="Filter output based on conditions provided (name=, id=, label=).",
    ),
]
LabelOpt = Annotated[
    list[str] | None,
    typer.Option("--label", "-l", metavar="KEY=VALUE", help="A label KEY=VALUE; repeatable."),
]
PrettyOpt = Annotated[
    bool, typer.Option("--pretty", help="Print the information in a human friendly format.")
]


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def pairs(items: list[str] | None, what: str, need_value: bool = True) -> dict[str, list[str]]:
    """``KEY=VALUE`` options as a mapping of each key to its values, refusing a bad one."""
    found: dict[str, list[str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not key or (need_value and not sep):
            refuse(f"{what} {item!r}: expected KEY=VALUE")
        found.setdefault(key, []).append(value)
    return found


def _labels(value: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(value.items()))


def check_format(form: str | None, kind: Kind = "secret") -> None:
    """Refuse a template these rows cannot fill, before the engine is asked."""
    formats.check(form, _fields(kind))


def _fields(kind: Kind) -> list[str]:
    middle = ["Driver"] if kind == "secret" else []
    return ["CreatedAt", *middle, "ID", "Labels", "Name", "UpdatedAt"]


def ls_lines(kind: Kind, found: list[ObjectView], quiet: bool, form: str | None) -> list[str]:
    """What ``docker secret ls`` (``config ls``) prints for ``found``."""
    from swarmdeck.swarm.stack_tables import ago

    rows = []
    for v in found:
        row: dict[str, str] = {"CreatedAt": ago(v["created"])}
        if kind == "secret":
            row["Driver"] = v["driver"]
        row.update(ID=v["id"], Labels=_labels(v["labels"]), Name=v["name"], UpdatedAt=ago(v["updated"]))
        rows.append(row)
    return formats.lines(rows, form, quiet, lambda: _table(kind, found))


def _table(kind: Kind, found: list[ObjectView]) -> list[str]:
    from swarmdeck.swarm.stack_tables import ago, table

    head = (
        ["ID", "NAME", "DRIVER", "CREATED", "UPDATED"]
        if kind == "secret"
        else ["ID", "NAME", "CREATED", "UPDATED"]
    )
    rows = [head]
    for v in found:
        middle = [v["driver"]] if kind == "secret" else []
        rows.append([v["id"], v["name"], *middle, ago(v["created"]), ago(v["updated"])])
    return table(rows)


def _stamp(value: str) -> str:
    """An engine time stamp as Go prints a ``time.Time`` (``2026-12-07 13:36:15.44 +0000 utc``)."""
    try:
        whole, _, fraction = value.rstrip("Z").partition(".")
        when = datetime.fromisoformat(whole)
    except ValueError:
        return value
    fraction = fraction.rstrip("0")
    return f"{when:%Y-%m-%d %H:%M:%S}{'.' + fraction if fraction else ''} +0000 utc"


def pretty(kind: Kind, document: dict[str, Any]) -> list[str]:
    """``docker secret inspect --pretty`` (``config``) of one engine document."""
    import base64

    spec = document.get("Spec") or {}
    labels = [f" - {k}={v}" for k, v in sorted((spec.get("Labels") or {}).items())]
    if kind == "secret":
        return [
            f"ID:              {document.get('ID', '')}",
            f"Name:              {spec.get('Name', '')}",
            "Labels:",
            *labels,
            f"Driver:            {(spec.get('Driver') or {}).get('Name', '')}",
            f"Created at:        {_stamp(document.get('CreatedAt', ''))}",
            f"Updated at:        {_stamp(document.get('UpdatedAt', ''))}",
        ]
    data = base64.b64decode(spec.get("Data") or "").decode("utf-8", "replace")
    return [
        f"ID:\t\t\t{document.get('ID', '')}",
        f"Name:\t\t\t{spec.get('Name', '')}",
        "Labels:",
        *labels,
        f"Created at:            \t{_stamp(document.get('CreatedAt', ''))}",
        f"Updated at:            \t{_stamp(document.get('UpdatedAt', ''))}",
        "Data:",
        data,
    ]


def _group(kind: Kind) -> typer.Typer:
    plural = f"{kind}s"
    group = typer.Typer(
        cls=FailingGroup,
        no_args_is_help=True,
        help=f"Manage Swarm {plural}.",
        epilog=f"Example: swarmdeck {kind} create --label env=prod db_password ./password.txt",
    )

    @group.command(
        "ls", help=f"List {plural}.", epilog=f"Example: swarmdeck {kind} ls --filter name=db --format json"
    )
    def ls_cmd(
        quiet: QuietOpt = False, form: FormatOpt = None, filters: FilterOpt = None, host: HostOpt = None
    ) -> None:
        """List the swarm's objects of this kind (ID, name, created, updated)."""
        from swarmdeck.engine.client import connect
        from swarmdeck.swarm import objects

        chosen = pairs(filters, "--filter")
        check_format(form, kind)
        lines = ls_lines(kind, objects.list_objects(connect(host), kind, chosen or None), quiet, form)
        for line in lines:
            _out(line)

    group.command("list", hidden=True)(ls_cmd)

    @group.command(
        "create",
        help=f"Create a {kind} from a file or stdin; prints its ID.",
        epilog=f"Example: printf s3cret | swarmdeck {kind} create app_key -",
    )
    def create_cmd(
        name: Annotated[str, typer.Argument(help="The new object's name.")],
        file: Annotated[
            str, typer.Argument(help="File with the data, or - to read from stdin.", metavar="FILE|-")
        ],
        label: LabelOpt = None,
        host: HostOpt = None,
    ) -> None:
        """Create one from a file or stdin; prints its ID."""
        from swarmdeck.engine.client import connect
        from swarmdeck.engine.names import check
        from swarmdeck.swarm import objects

        labels = {k: v[-1] for k, v in pairs(label, "--label", need_value=False).items()}
        check(kind, name)
        if file == "-":
            data = sys.stdin.buffer.read()
        else:
            try:
                with open(file, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                refuse(f"open {file}: {exc.strerror or exc}")
        _out(objects.create(connect(host), kind, name, data, labels))

    @group.command(
        "inspect",
        help=f"Display detailed information on one or more {plural}.",
        epilog=f"Example: swarmdeck {kind} inspect --pretty app_key",
    )
    def inspect_cmd(
        names: Annotated[list[str], typer.Argument(help="Names or IDs.", metavar="NAME...")],
        pretty_: PrettyOpt = False,
        host: HostOpt = None,
    ) -> None:
        """Display detailed information as a JSON array, or --pretty."""
        from swarmdeck.engine.client import connect
        from swarmdeck.swarm import objects

        client = connect(host)
        documents = [objects.inspect(client, kind, name) for name in names]
        if pretty_:
            for index, document in enumerate(documents):
                if index:
                    _out("")
                for line in pretty(kind, document):
                    _out(line)
            return
        _out(json.dumps(documents, indent=4))

    @group.command(
        "rm", help=f"Remove one or more {plural}.", epilog=f"Example: swarmdeck {kind} rm app_key old_key"
    )
    def rm_cmd(
        names: Annotated[list[str], typer.Argument(help="Names or IDs.", metavar="NAME...")],
        host: HostOpt = None,
    ) -> None:
        """Remove one or more; prints each one removed."""
        from swarmdeck.engine.client import connect
        from swarmdeck.swarm import objects

        objects.remove(connect(host), kind, names, removed=_out)

    group.command("remove", hidden=True)(rm_cmd)
    return group


def register(app: typer.Typer) -> None:
    """Add the `secret` and `config` command groups to the main application."""
    app.add_typer(_group("secret"), name="secret")
    app.add_typer(_group("config"), name="config")
