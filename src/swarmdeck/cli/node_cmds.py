"""`swarmdeck node ls|inspect|promote|demote|update|rm`: the docker CLI's node commands.

Thin adapters over the swarm layer (``swarm.nodes`` changes nodes, ``swarm.node_tables``
prints them as the docker CLI does); the console's node routes call the same functions.
The engine, the SDK and the swarm layer are imported inside the commands, so that
``swarmdeck --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli import formats
from swarmdeck.cli.failing import FailingGroup, refuse
from swarmdeck.cli.formats import HostOpt

if TYPE_CHECKING:
    from swarmdeck.swarm.views import NodeUpdate

node_app = typer.Typer(
    cls=FailingGroup,
    no_args_is_help=True,
    help="Manage swarm nodes.",
    epilog="Example: swarmdeck node ls",
)

NodesArg = Annotated[list[str], typer.Argument(help="Node IDs, hostnames or self.", metavar="NODE...")]


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


@node_app.command("ls")
def ls_cmd(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="Only display IDs.")] = False,
    format_: Annotated[
        str | None,
        typer.Option(
            "--format", metavar="FORMAT", help="json (one object per line), table, or a {{.Field}} template."
        ),
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            metavar="KEY=VALUE",
            help="KEY=VALUE: id, label, node.label, membership, name, role.",
        ),
    ] = None,
    host: HostOpt = None,
) -> None:
    """List nodes in the swarm. Example: swarmdeck node ls --filter role=manager"""
    from swarmdeck.engine.light import read_client
    from swarmdeck.swarm import node_tables

    formats.check(format_, node_tables.FIELDS)
    found = node_tables.rows(read_client(host), filter_)
    for line in formats.lines(found, format_, quiet, lambda: node_tables.ls_lines(found)):
        _out(line)


@node_app.command("inspect")
def inspect_cmd(
    refs: NodesArg,
    pretty: Annotated[
        bool, typer.Option("--pretty", metavar="", help="Print the information in a human friendly format.")
    ] = False,
    host: HostOpt = None,
) -> None:
    """Display detailed information on one or more nodes. Example: swarmdeck node inspect self"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import node_tables, nodes

    client = connect(host)
    found = [nodes.inspect_raw(client, ref) for ref in refs]
    if pretty:
        _out("\n".join(node_tables.pretty(attrs) for attrs in found))
    else:
        _out(json.dumps(found, indent=4, ensure_ascii=False))


def _change_role(refs: list[str], host: str | None, role: str) -> None:
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import nodes

    client = connect(host)
    for ref in refs:
        already = nodes.change_role(client, ref, role)
        if already and role == "manager":
            _out(f"Node {already} is already a manager.")
        elif already:
            _out(f"Node {already} is already a worker.")
        elif role == "manager":
            _out(f"Node {ref} promoted to a manager in the swarm.")
        else:
            _out(f"Manager {ref} demoted in the swarm.")


@node_app.command("promote")
def promote_cmd(refs: NodesArg, host: HostOpt = None) -> None:
    """Promote one or more nodes to manager in the swarm. Example: swarmdeck node promote nodeb"""
    _change_role(refs, host, "manager")


@node_app.command("demote")
def demote_cmd(refs: NodesArg, host: HostOpt = None) -> None:
    """Demote one or more nodes from manager in the swarm. Example: swarmdeck node demote nodeb"""
    _change_role(refs, host, "worker")


def node_update(
    availability: str | None, role: str | None, label_add: list[str], label_rm: list[str]
) -> NodeUpdate:
    """The options of `node update` as the swarm layer's ``NodeUpdate``."""
    change: NodeUpdate = {}
    if availability is not None:
        change["availability"] = availability
    if role is not None:
        change["role"] = role
    if label_add:
        added: dict[str, str] = {}
        for item in label_add:
            key, _, value = item.partition("=")
            if not key:
                refuse(f"--label-add {item!r}: expected KEY=VALUE or KEY")
            added[key] = value
        change["label_add"] = added
    if label_rm:
        change["label_rm"] = list(label_rm)
    return change


@node_app.command("update")
def update_cmd(
    ref: Annotated[str, typer.Argument(help="Node ID, hostname or self.", metavar="NODE")],
    availability: Annotated[
        str | None,
        typer.Option(
            "--availability",
            metavar="active|pause|drain",
            help="Availability of the node (active, pause, drain).",
        ),
    ] = None,
    label_add: Annotated[
        list[str] | None,
        typer.Option(
            "--label-add", metavar="KEY=VALUE", help="Add or update a node label (KEY=VALUE); repeatable."
        ),
    ] = None,
    label_rm: Annotated[
        list[str] | None,
        typer.Option("--label-rm", metavar="KEY", help="Remove a node label if exists; repeatable."),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option("--role", metavar="worker|manager", help="Role of the node (worker, manager)."),
    ] = None,
    host: HostOpt = None,
) -> None:
    """Update a node. Example: swarmdeck node update --availability drain nodeb"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import nodes

    change = node_update(availability, role, label_add or [], label_rm or [])
    nodes.update(connect(host), ref, change)
    _out(ref)


@node_app.command("rm")
def rm_cmd(
    refs: NodesArg,
    force: Annotated[
        bool, typer.Option("--force", "-f", metavar="", help="Force remove a node from the swarm.")
    ] = False,
    host: HostOpt = None,
) -> None:
    """Remove one or more nodes from the swarm. Example: swarmdeck node rm --force nodeb"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import nodes

    nodes.remove_each(connect(host), refs, force, _out)


node_app.command("list", hidden=True)(ls_cmd)  # the docker CLI's alias of `node ls`
node_app.command("remove", hidden=True)(rm_cmd)  # and of `node rm`


def register(app: typer.Typer) -> None:
    """Add the `node` command group to the main application."""
    app.add_typer(node_app, name="node")
