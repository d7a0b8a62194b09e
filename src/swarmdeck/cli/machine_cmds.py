"""`swarmdeck machine create|ls|ip|ssh|env|start|stop|restart|kill|rm|inspect`: Docker
Machine's commands, over ``machine.machines`` (the console and ``up`` use the same functions).

Here: the options, docker-machine's table (``ls``, tabwriter with minwidth 5 and padding 3),
its ``env`` lines, and what each command prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from swarmdeck.cli import formats
from swarmdeck.cli.failing import FailingGroup, refuse
from swarmdeck.cli.formats import FormatOpt

if TYPE_CHECKING:
    from swarmdeck.machine.machines import MachineRow
    from swarmdeck.machine.store import MachineStore

app = typer.Typer(
    cls=FailingGroup,
    no_args_is_help=True,
    help="Create and manage Docker hosts: local qemu VMs or existing SSH hosts (Docker Machine).",
    epilog="Example: swarmdeck machine create --driver qemu myvm1",
)

NameArg = Annotated[str, typer.Argument(help="The machine's name.", metavar="NAME")]
COLUMNS = (
    ("NAME", "Name"),
    ("ACTIVE", "Active"),
    ("DRIVER", "DriverName"),
    ("STATE", "State"),
    ("URL", "URL"),
    ("SWARM", "Swarm"),
    ("DOCKER", "DockerVersion"),
    ("ERRORS", "Error"),
)


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _progress(message: str) -> None:
    _out(f"{message}...")


def _store() -> MachineStore:
    from swarmdeck.machine.store import MachineStore

    return MachineStore()


def table(rows: list[list[str]]) -> list[str]:
    """Go's tabwriter as docker-machine sets it (minwidth 5, padding 3)."""
    widths = [max(5, max(len(r[i]) for r in rows) + 3) for i in range(len(rows[0]))]
    return [
        "".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)) + row[-1]
        for row in rows
    ]


def ls_lines(rows: list[MachineRow], quiet: bool, form: str | None) -> list[str]:
    """What ``machine ls`` prints for ``rows``."""

    def as_table() -> list[str]:
        return table([[h for h, _ in COLUMNS]] + [[str(r[k]) for _, k in COLUMNS] for r in rows])  # type: ignore[literal-required]

    return formats.lines(rows, form, quiet, as_table, id_key="Name")


NamesArg = Annotated[list[str], typer.Argument(help="Machine names.", metavar="NAME...")]


@app.command("create")
def create(
    name: NameArg,
    driver: Annotated[
        str, typer.Option("--driver", "-d", help="qemu (a local VM) or generic (an existing host).")
    ] = "qemu",
    memory: Annotated[int, typer.Option("--memory", "-m", help="qemu: the VM's memory in MiB.")] = 1536,
    cpus: Annotated[int, typer.Option("--cpus", help="qemu: the VM's CPUs.")] = 1,
    disk_size: Annotated[int, typer.Option("--disk-size", help="qemu: the VM's disk in MB.")] = 20000,
    ip: Annotated[str | None, typer.Option("--ip", help="generic: the host's address.")] = None,
    ssh_user: Annotated[
        str, typer.Option("--ssh-user", help="generic: the SSH user (root, or with sudo).")
    ] = "root",
    ssh_key: Annotated[
        Path | None, typer.Option("--ssh-key", help="generic: the SSH private key the host accepts.")
    ] = None,
    ssh_port: Annotated[int, typer.Option("--ssh-port", help="generic: the SSH port.")] = 22,
    engine_port: Annotated[
        int,
        typer.Option(
            "--engine-port", help="generic: the port this host reaches the engine's TLS port 2376 at."
        ),
    ] = 2376,
    publish: Annotated[
        str,
        typer.Option(
            "--publish",
            help="qemu: the VM's TCP ports to reach from this host (each forwarded from a free port "
            "of 127.0.0.1; `machine inspect` shows where), comma-separated.",
        ),
    ] = "80,5000,6767,9000",
) -> None:
    """Create a machine: make the host, install and secure its Docker engine.

    Example: swarmdeck machine create --driver generic --ip 203.0.113.5 --ssh-key ~/.ssh/id_ed25519 node1"""
    from swarmdeck.machine import machines
    from swarmdeck.machine.generic import generic_params
    from swarmdeck.machine.store import check_name

    check_name(name)  # the name first: the options' checks come after
    if driver == "generic":
        params = generic_params(ip, ssh_user, ssh_key, ssh_port, engine_port)
    elif driver == "qemu":
        if ip or ssh_key:
            refuse("--ip and --ssh-key are for --driver generic")
        if memory < 256 or cpus < 1 or disk_size < 3072:
            refuse("--memory is at least 256 (MiB), --cpus at least 1, --disk-size at least 3072 (MB)")
        # the qemu driver's parameters (machine/qemu.py): its disk in whole GiB
        ports = [p.strip() for p in publish.split(",") if p.strip()]
        if not all(p.isdigit() and 0 < int(p) < 65536 for p in ports):
            refuse(f"--publish {publish!r}: expected TCP ports, comma-separated")
        params = {
            "memory_mb": memory,
            "cpus": cpus,
            "disk": f"{-(-disk_size // 1024)}G",
            "publish": sorted({int(p) for p in ports}),
        }
    else:
        refuse(f"--driver {driver!r}: use qemu or generic")
    machines.create(_store(), name, driver, params, _progress)
    _out(f"Docker is up and running on {name}!")
    _out(
        f"To see how to connect your Docker Client to the Engine running on this machine, run: "
        f"swarmdeck machine env {name}"
    )


@app.command("ls")
def ls(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Enable quiet mode (names only).")] = False,
    form: FormatOpt = None,
) -> None:
    """List machines.

    Example: swarmdeck machine ls --format json"""
    from swarmdeck.machine import machines

    formats.check(form, [k for _, k in COLUMNS])
    store = _store()
    rows = (
        [
            machines.MachineRow(
                Name=n, Active="", DriverName="", State="", URL="", Swarm="", DockerVersion="", Error=""
            )
            for n in store.names()
        ]
        if quiet
        else machines.rows(store)
    )
    for line in ls_lines(rows, quiet, form):
        _out(line)


@app.command("ip")
def ip(names: NamesArg) -> None:
    """Print the address of one or more machines.

    Example: swarmdeck machine ip myvm1"""
    from swarmdeck.machine import machines

    store = _store()
    for name in names:
        _out(machines.ip(store, name))


@app.command("ssh", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def ssh(
    name: NameArg,
    command: Annotated[
        list[str] | None, typer.Argument(help="A command to run (default: a shell).", metavar="[COMMAND]...")
    ] = None,
) -> None:
    """Log into a machine, or run a command there, with SSH.

    Example: swarmdeck machine ssh myvm1 docker node ls"""
    from swarmdeck.machine import machines
    from swarmdeck.machine.ssh import exec_shell

    _, driver = machines.driver_of(_store(), name)
    exec_shell(driver.addresses().ssh, command or [])


@app.command("env")
def env(
    name: Annotated[str | None, typer.Argument(help="The machine's name.", metavar="NAME")] = None,
    unset: Annotated[
        bool, typer.Option("--unset", "-u", help="Print the commands that unset the variables.")
    ] = False,
) -> None:
    """Print the shell commands that point the docker CLI at a machine.

    Example: eval $(swarmdeck machine env myvm1)"""
    from swarmdeck.machine import machines

    if unset:
        lines = machines.unset_lines()
    elif name is None:
        refuse("give a machine's name (or --unset)")
    else:
        lines = machines.env(_store(), name)
    for line in lines:
        _out(line)


@app.command("start")
def start(names: NamesArg) -> None:
    """Start machines.

    Example: swarmdeck machine start myvm1"""
    from swarmdeck.machine import machines

    store = _store()
    for name in names:
        _progress(f'Starting "{name}"')
        machines.start(store, name, _progress)
    _out(
        "Started machines may have new IP addresses. "
        "You may need to re-run the `swarmdeck machine env` command."
    )


@app.command("stop")
def stop(names: NamesArg) -> None:
    """Stop machines gracefully.

    Example: swarmdeck machine stop myvm1"""
    from swarmdeck.machine import machines

    store = _store()
    for name in names:
        _progress(f'Stopping "{name}"')
        machines.stop(store, name)
        _out(f'Machine "{name}" was stopped.')


@app.command("restart")
def restart(names: NamesArg) -> None:
    """Restart machines.

    Example: swarmdeck machine restart myvm1"""
    from swarmdeck.machine import machines

    store = _store()
    for name in names:
        _progress(f'Restarting "{name}"')
        machines.restart(store, name, _progress)
    _out(
        "Restarted machines may have new IP addresses. "
        "You may need to re-run the `swarmdeck machine env` command."
    )


@app.command("kill")
def kill(names: NamesArg) -> None:
    """Kill machines at once, as a power cut would.

    Example: swarmdeck machine kill myvm2"""
    from swarmdeck.machine import machines

    store = _store()
    for name in names:
        _progress(f'Killing "{name}"')
        machines.kill(store, name)
        _out(f'Machine "{name}" was killed.')


@app.command("rm")
def rm(
    names: NamesArg,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Remove local files even if the host cannot be reached.")
    ] = False,
    yes: Annotated[bool, typer.Option("-y", help="Assume yes: do not ask for confirmation.")] = False,
) -> None:
    """Remove machines: the VM (qemu), swarmdeck's TLS set-up (generic), local files, the endpoint.

    Example: swarmdeck machine rm -y myvm1"""
    from swarmdeck.machine import machines

    store = _store()
    for name in names:
        store.load(name)  # NoSuchMachine before asking
    if not yes:
        _out("About to remove " + ", ".join(names))
        _out("WARNING: This action will delete both local reference and remote instance.")
        if not typer.confirm("Are you sure?", default=False):
            refuse("not removed")
    for name in names:
        machines.remove(store, name, force)
        _out(f"Successfully removed {name}")


@app.command("inspect")
def inspect(names: NamesArg) -> None:
    """Print machines' details as JSON.

    Example: swarmdeck machine inspect myvm1"""
    from swarmdeck.machine import machines

    store = _store()
    found = [machines.inspect(store, name) for name in names]
    for item in found:
        _out(json.dumps(item, indent=4))


def register(main: typer.Typer) -> None:
    """Add `machine` to the swarmdeck command line."""
    main.add_typer(app, name="machine")
