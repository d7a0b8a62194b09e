"""`swarmdeck swarm init|join|join-token|leave|update|unlock-key` (and `swarm nodes`, an alias
of `node ls`): an engine's membership in a swarm and the swarm's settings.

Thin adapters over ``swarm.membership``, which the console's membership routes call too;
``leave``, ``update`` and ``unlock-key`` answer as the docker CLI does. The engine, the SDK
and the swarm layer are imported inside the commands, so that ``swarmdeck --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli import node_cmds
from swarmdeck.cli.failing import FailingGroup, refuse
from swarmdeck.cli.formats import HostOpt
from swarmdeck.cli.output import lazy_console

if TYPE_CHECKING:
    from swarmdeck.swarm.views import SwarmUpdate

swarm_app = typer.Typer(
    cls=FailingGroup,
    no_args_is_help=True,
    help="Create and join a swarm, and change its settings.",
    epilog="Example: swarmdeck swarm init --advertise-addr 10.0.0.1",
)
out = lazy_console(soft_wrap=True)

UNLOCK_HINT = (
    "To unlock a swarm manager after it restarts, run the `docker swarm unlock`\n"
    "command and provide the following key:\n\n    {key}\n\n"
    "Remember to store this key in a password manager, since without it you\n"
    "will not be able to restart the manager.\n"
)


def _write(text: str) -> None:
    sys.stdout.write(text)


@swarm_app.command("init")
def swarm_init(
    host: HostOpt = None,
    advertise_addr: Annotated[
        str | None, typer.Option(metavar="ADDR", help="Address to advertise to the other nodes.")
    ] = None,
) -> None:
    """`docker swarm init`; prints the join command for workers. Example: swarmdeck swarm init"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import membership

    client = connect(host)
    state = membership.init(client, advertise_addr)
    token = membership.join_tokens(client, state)["worker"]["token"]
    out.print(f"Swarm initialised: node {state.node_id} is now a manager.")
    out.print("To add a worker to this swarm, run:")
    out.print(f"  swarmdeck swarm join --token {token} {state.node_addr}:2377", highlight=False)


@swarm_app.command("join")
def swarm_join(
    manager: Annotated[str, typer.Argument(help="HOST:PORT of a manager.")],
    token: Annotated[str, typer.Option(metavar="TOKEN", help="Join token.")],
    host: HostOpt = None,
    advertise_addr: Annotated[
        str | None, typer.Option(metavar="ADDR", help="Address to advertise to the other nodes.")
    ] = None,
) -> None:
    """`docker swarm join`. Example: swarmdeck swarm join --token SWMTKN-1-... 10.0.0.1:2377"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import membership

    state = membership.join(connect(host), manager, token, advertise_addr)
    out.print(f"This node joined a swarm as a {'manager' if state.is_manager else 'worker'}.")


@swarm_app.command("join-token")
def swarm_join_token(
    role: Annotated[str, typer.Argument(help="worker or manager")] = "worker", host: HostOpt = None
) -> None:
    """Print the `swarmdeck swarm join` line for a worker or a manager.
    Example: swarmdeck swarm join-token manager"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import membership
    from swarmdeck.swarm.views import token_role

    chosen = token_role(role)
    tokens = membership.join_tokens(connect(host))
    token = (tokens["worker"] if chosen == "worker" else tokens["manager"])["token"]
    out.print(f"swarmdeck swarm join --token {token} {tokens['manager_addr']}", highlight=False)


@swarm_app.command("leave")
def swarm_leave(
    force: Annotated[
        bool,
        typer.Option(
            "--force", "-f", metavar="", help="Force this node to leave the swarm, ignoring warnings."
        ),
    ] = False,
    host: HostOpt = None,
) -> None:
    """Leave the swarm (a manager only with --force). Example: swarmdeck swarm leave"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import membership

    membership.leave(connect(host), force)
    _write("Node left the swarm.\n")


def swarm_update_change(
    task_history_limit: int | None,
    dispatcher_heartbeat: str | None,
    cert_expiry: str | None,
    autolock: str | None,
) -> SwarmUpdate:
    """The options of `swarm update` as the swarm layer's ``SwarmUpdate``."""
    from swarmdeck.swarm.membership import parse_duration

    change: SwarmUpdate = {}
    if task_history_limit is not None:
        change["task_history_limit"] = task_history_limit
    if dispatcher_heartbeat is not None:
        change["dispatcher_heartbeat"] = parse_duration(dispatcher_heartbeat)
    if cert_expiry is not None:
        change["cert_expiry"] = parse_duration(cert_expiry)
    if autolock is not None:
        if autolock not in ("true", "false"):
            refuse(f"--autolock {autolock!r}: expected true or false")
        change["autolock"] = autolock == "true"
    return change


@swarm_app.command("update")
def swarm_update(
    task_history_limit: Annotated[
        int | None,
        typer.Option("--task-history-limit", metavar="LIMIT", help="Task history retention limit."),
    ] = None,
    dispatcher_heartbeat: Annotated[
        str | None,
        typer.Option(
            "--dispatcher-heartbeat", metavar="DURATION", help="Dispatcher heartbeat period (e.g. 5s)."
        ),
    ] = None,
    cert_expiry: Annotated[
        str | None,
        typer.Option(
            "--cert-expiry", metavar="DURATION", help="Validity period for node certificates (e.g. 2160h)."
        ),
    ] = None,
    autolock: Annotated[
        str | None,
        typer.Option("--autolock", metavar="true|false", help="Change manager autolocking setting."),
    ] = None,
    host: HostOpt = None,
) -> None:
    """Update the swarm. Example: swarmdeck swarm update --task-history-limit 10"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import membership

    change = swarm_update_change(task_history_limit, dispatcher_heartbeat, cert_expiry, autolock)
    client = connect(host)
    membership.update(client, change)
    _write("Swarm updated.\n")
    if change.get("autolock"):
        _write(UNLOCK_HINT.format(key=membership.unlock_key(client)))


@swarm_app.command("unlock-key")
def swarm_unlock_key(
    rotate: Annotated[bool, typer.Option("--rotate", metavar="", help="Rotate unlock key.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="Only display token.")] = False,
    host: HostOpt = None,
) -> None:
    """Manage the unlock key. Example: swarmdeck swarm unlock-key --rotate"""
    from swarmdeck.engine.client import connect
    from swarmdeck.swarm import membership

    key = membership.unlock_key(connect(host), rotate)
    if quiet:
        _write(key + "\n")
        return
    if rotate:
        _write("Successfully rotated manager unlock key.\n\n")
    _write(UNLOCK_HINT.format(key=key))


swarm_app.command(
    "nodes", help="List nodes in the swarm (an alias of `node ls`). Example: swarmdeck swarm nodes"
)(node_cmds.ls_cmd)


def register(app: typer.Typer) -> None:
    """Add the `swarm` command group to the main application."""
    app.add_typer(swarm_app, name="swarm")
