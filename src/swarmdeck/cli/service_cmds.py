"""`swarmdeck service ls|ps|inspect|logs|scale|update|rollback|rm|create`: the docker CLI's
service commands, natively.

The work is the swarm layer's (``swarm.services``, ``swarm.service_spec``,
``swarm.service_logs``, and ``swarm.stack_tables`` for the tables, shared with `stack`);
here: the options, their values read into the layer's types, and the output as docker
prints it (tables, ``-q``, ``--format json`` or ``{{.Field}}``). The CLI acts as the
engine's owner, as the docker CLI does: no workload policy (that is the console's).
The swarm layer and the SDK are imported inside the commands, so `--help` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from swarmdeck.cli import formats
from swarmdeck.cli.failing import FailingGroup, refuse
from swarmdeck.cli.formats import FormatOpt, HostOpt, QuietOpt

if TYPE_CHECKING:
    import docker

service_app = typer.Typer(
    cls=FailingGroup,
    no_args_is_help=True,
    help="Manage swarm services.",
    epilog="Example: swarmdeck service ls",
)

ServiceArg = Annotated[str, typer.Argument(help="Service name or ID.", metavar="SERVICE")]
ServicesArg = Annotated[list[str], typer.Argument(help="Service names or IDs.", metavar="SERVICE...")]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option("--filter", "-f", help="Filter output based on conditions provided (KEY=VALUE)."),
]
DetachOpt = Annotated[
    bool,
    typer.Option("--detach", "-d", help="Exit immediately instead of waiting for the service to converge."),
]


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _client(host: str | None) -> docker.DockerClient:
    from swarmdeck.engine.client import connect

    return connect(host)


def _reader(host: str | None) -> Any:
    """The client of a pure read (ls, ps): the light one, without the docker SDK."""
    from swarmdeck.engine.light import read_client

    return read_client(host)


def _print_rows(rows: list[dict[str, str]], columns: Any, quiet: bool, fmt: str | None) -> None:
    from swarmdeck.swarm.stack_tables import rows_table

    formats.check(fmt, [key for _, key in columns])
    for line in formats.lines(rows, fmt, quiet, lambda: rows_table(columns, rows)):
        _out(line)


@service_app.command("ls")
def ls_cmd(
    quiet: QuietOpt = False, fmt: FormatOpt = None, filters: FilterOpt = None, host: HostOpt = None
) -> None:
    """List services.

    Example: swarmdeck service ls --filter name=web --format json
    """
    from swarmdeck.swarm.stack_tables import SERVICE_COLUMNS, service_ls_rows

    _print_rows(service_ls_rows(_reader(host), filters or []), SERVICE_COLUMNS, quiet, fmt)


@service_app.command("ps")
def ps_cmd(
    refs: ServicesArg,
    quiet: QuietOpt = False,
    no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Do not truncate output.")] = False,
    fmt: FormatOpt = None,
    filters: FilterOpt = None,
    host: HostOpt = None,
) -> None:
    """List the tasks of one or more services.

    Example: swarmdeck service ps web --filter desired-state=running
    """
    from swarmdeck.swarm.stack_tables import TASK_COLUMNS, service_ps_rows

    rows = service_ps_rows(_reader(host), refs, filters or [], trunc=not (no_trunc or quiet))
    _print_rows(rows, TASK_COLUMNS, quiet, fmt)


@service_app.command("inspect")
def inspect_cmd(
    refs: ServicesArg,
    pretty: Annotated[
        bool, typer.Option("--pretty", help="Print the information in a human friendly format.")
    ] = False,
    host: HostOpt = None,
) -> None:
    """Display detailed information on one or more services (a JSON array).

    Example: swarmdeck service inspect --pretty web
    """
    from swarmdeck.swarm import services

    found = services.inspect(_client(host), refs)
    if not pretty:
        _out(formats.go_json(found, indent=4))
        return
    for index, service in enumerate(found):
        if index:
            _out("")
        for line in _pretty(service):
            _out(line)


def _pretty(service: dict[str, Any]) -> list[str]:
    """The main lines of `docker service inspect --pretty`."""
    from swarmdeck.swarm.stack_tables import bytes_size

    spec = service["Spec"]
    task = spec["TaskTemplate"]
    container = task["ContainerSpec"]
    lines = [f"ID:\t\t{service['ID']}", f"Name:\t\t{spec['Name']}"]
    if spec.get("Labels"):
        lines += ["Labels:"] + [f" {k}={v}" for k, v in spec["Labels"].items()]
    mode = spec.get("Mode", {})
    if "Replicated" in mode:
        lines += ["Service Mode:\tReplicated", f" Replicas:\t{mode['Replicated'].get('Replicas', 0)}"]
    else:
        lines.append("Service Mode:\tGlobal")
    lines.append("Placement:")
    constraints = (task.get("Placement") or {}).get("Constraints") or []
    if constraints:
        lines.append(f" Constraints:\t{constraints}")
    lines += ["ContainerSpec:", f" Image:\t\t{container['Image']}"]
    if container.get("Args") or container.get("Command"):
        lines.append(
            f" Args:\t\t{' '.join((container.get('Command') or []) + (container.get('Args') or []))} "
        )
    if container.get("Env"):
        lines.append(f" Env:\t\t{' '.join(container['Env'])} ")
    lines.append("Resources:")
    limits = (task.get("Resources") or {}).get("Limits") or {}
    if limits:
        lines.append("Limits:")
        if limits.get("NanoCPUs"):
            lines.append(f" CPU:\t\t{limits['NanoCPUs'] / 1e9:g}")
        if limits.get("MemoryBytes"):
            lines.append(f" Memory:\t{bytes_size(limits['MemoryBytes'])}")
    endpoint = spec.get("EndpointSpec") or {}
    lines.append(f"Endpoint Mode:\t{endpoint.get('Mode', 'vip')}")
    if endpoint.get("Ports"):
        lines.append("Ports:")
        for p in endpoint["Ports"]:
            lines += [
                f" PublishedPort = {p.get('PublishedPort', 0)}",
                f"  Protocol = {p.get('Protocol', 'tcp')}",
                f"  TargetPort = {p.get('TargetPort', 0)}",
                f"  PublishMode = {p.get('PublishMode', 'ingress')}",
            ]
    return lines


@service_app.command("logs")
def logs_cmd(
    ref: ServiceArg,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Follow log output (until Ctrl-C).")] = False,
    timestamps: Annotated[bool, typer.Option("--timestamps", "-t", help="Show timestamps.")] = False,
    tail: Annotated[
        str, typer.Option("--tail", "-n", help="Number of lines to show from the end of the logs.")
    ] = "all",
    no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Do not truncate output.")] = False,
    host: HostOpt = None,
) -> None:
    """Fetch the logs of a service, each line after its task and node.

    Example: swarmdeck service logs --tail 20 -f web
    """
    from swarmdeck.swarm.service_logs import LogOptions, stream

    if tail != "all" and not tail.isdigit():
        refuse(f"--tail {tail!r}: expected a number of lines or all")
    options = LogOptions(follow=follow, timestamps=timestamps, tail=tail, no_trunc=no_trunc)
    for line in stream(_client(host), ref, options):
        _out(line)


def _scale_pair(text: str) -> tuple[str, int]:
    name, sep, count = text.partition("=")
    if not sep or not name or not count.isdigit():
        refuse(f"invalid scale specifier {text!r}: expected SERVICE=REPLICAS")
    return name, int(count)


@service_app.command("scale")
def scale_cmd(
    pairs: Annotated[
        list[str], typer.Argument(help="SERVICE=REPLICAS pairs.", metavar="SERVICE=REPLICAS...")
    ],
    detach: DetachOpt = False,
    host: HostOpt = None,
) -> None:
    """Scale one or more replicated services (only the replica count changes).

    Example: swarmdeck service scale web=3 redis=1
    """
    from swarmdeck.swarm import services

    wanted = [_scale_pair(pair) for pair in pairs]
    client = _client(host)
    for name, count in wanted:
        services.scale(client, name, count)
        _out(f"{name} scaled to {count}")
    if not detach:
        for name, _ in wanted:
            services.converge(client, name)
            _out(f"verify: Service {name} converged")


def _changes(
    image: str | None,
    replicas: int | None,
    env_add: list[str],
    env_rm: list[str],
    limit_cpu: str | None,
    limit_memory: str | None,
    publish_add: list[str],
    publish_rm: list[str],
    force: bool,
) -> Any:
    """The ``ServiceChanges`` the update's options say, every value checked."""
    from swarmdeck.swarm import service_spec as ss

    if replicas is not None and replicas < 0:
        refuse(f"--replicas {replicas}: expected 0 or more")
    return ss.ServiceChanges(
        image=image,
        replicas=replicas,
        env_add=tuple(ss.env_assignment(e) for e in env_add),
        env_rm=tuple(ss.env_key(e) for e in env_rm),
        limit_cpu=None if limit_cpu is None else ss.nano_cpus(limit_cpu),
        limit_memory=None if limit_memory is None else ss.memory_bytes(limit_memory),
        publish_add=tuple(ss.port(p) for p in publish_add),
        publish_rm=tuple(ss.port(p) for p in publish_rm),
        force=force,
    )


ListOpt = list[str] | None


@service_app.command("update")
def update_cmd(
    ref: ServiceArg,
    image: Annotated[str | None, typer.Option("--image", help="Service image tag.")] = None,
    replicas: Annotated[int | None, typer.Option("--replicas", help="Number of tasks.")] = None,
    env_add: Annotated[
        ListOpt, typer.Option("--env-add", help="Add or update an environment variable (KEY=VALUE).")
    ] = None,
    env_rm: Annotated[ListOpt, typer.Option("--env-rm", help="Remove an environment variable (KEY).")] = None,
    limit_cpu: Annotated[str | None, typer.Option("--limit-cpu", help="Limit CPUs (e.g. 0.5).")] = None,
    limit_memory: Annotated[
        str | None, typer.Option("--limit-memory", help="Limit memory (e.g. 100M).")
    ] = None,
    publish_add: Annotated[
        ListOpt,
        typer.Option("--publish-add", help="Add or update a published port ([PUBLISHED:]TARGET[/PROTO])."),
    ] = None,
    publish_rm: Annotated[
        ListOpt,
        typer.Option("--publish-rm", help="Remove a published port by its target port (TARGET[/PROTO])."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Force the update even if no changes require it.")
    ] = False,
    detach: DetachOpt = False,
    host: HostOpt = None,
) -> None:
    """Update a service: only the fields named change, the rest stays as the engine has it.

    Example: swarmdeck service update --env-add MODE=prod --limit-memory 100M web
    """
    from swarmdeck.swarm import services

    changes = _changes(
        image,
        replicas,
        env_add or [],
        env_rm or [],
        limit_cpu,
        limit_memory,
        publish_add or [],
        publish_rm or [],
        force,
    )
    client = _client(host)
    services.update(client, ref, changes)
    _out(ref)
    if not detach:
        services.converge(client, ref)
        _out("verify: Service converged")


@service_app.command("rollback")
def rollback_cmd(ref: ServiceArg, detach: DetachOpt = False, host: HostOpt = None) -> None:
    """Revert changes to a service's configuration (back to its previous spec).

    Example: swarmdeck service rollback web
    """
    from swarmdeck.swarm import services

    client = _client(host)
    service, _ = services.rollback_target(client, ref)
    services.rollback(client, service, services.owner)
    _out(ref)
    if not detach:
        services.converge(client, ref)
        _out("rollback: rollback completed")


@service_app.command("rm")
def rm_cmd(refs: ServicesArg, host: HostOpt = None) -> None:
    """Remove one or more services.

    Example: swarmdeck service rm web redis
    """
    from swarmdeck.swarm import services

    for ref in services.remove_each(_client(host), refs):
        _out(ref)


service_app.command("remove", hidden=True)(rm_cmd)  # the docker CLI's alias


@service_app.command("create", context_settings={"allow_interspersed_args": False})
def create_cmd(
    image: Annotated[str, typer.Argument(help="Image of the service's tasks.", metavar="IMAGE")],
    command: Annotated[
        list[str] | None, typer.Argument(help="Command and arguments.", metavar="[COMMAND] [ARG...]")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Service name.")] = None,
    replicas: Annotated[int, typer.Option("--replicas", help="Number of tasks.")] = 1,
    mode: Annotated[str, typer.Option("--mode", help="Service mode (replicated or global).")] = "replicated",
    publish: Annotated[
        ListOpt, typer.Option("--publish", "-p", help="Publish a port ([PUBLISHED:]TARGET[/PROTO]).")
    ] = None,
    env: Annotated[
        ListOpt, typer.Option("--env", "-e", help="Set an environment variable (KEY=VALUE).")
    ] = None,
    constraint: Annotated[
        ListOpt, typer.Option("--constraint", help="Placement constraint (node.role==worker).")
    ] = None,
    network: Annotated[ListOpt, typer.Option("--network", help="Network to attach.")] = None,
    label: Annotated[ListOpt, typer.Option("--label", "-l", help="Service label (KEY=VALUE).")] = None,
    limit_cpu: Annotated[str | None, typer.Option("--limit-cpu", help="Limit CPUs (e.g. 0.5).")] = None,
    limit_memory: Annotated[
        str | None, typer.Option("--limit-memory", help="Limit memory (e.g. 100M).")
    ] = None,
    stop_grace_period: Annotated[
        str | None,
        typer.Option("--stop-grace-period", help="Time to wait before force killing a container (e.g. 10s)."),
    ] = None,
    detach: DetachOpt = False,
    host: HostOpt = None,
) -> None:
    """Create a new service; prints its ID.

    Example: swarmdeck service create --name web --replicas 2 -p 8080:80 nginx:alpine
    """
    from swarmdeck.swarm import service_spec as ss
    from swarmdeck.swarm import services
    from swarmdeck.swarm.views import ServiceSpec

    if replicas < 0:
        refuse(f"--replicas {replicas}: expected 0 or more")
    ports = [ss.port(p) for p in publish or []]
    body = ss.create_request(
        ServiceSpec(
            name=name or "",
            image=image,
            replicas=replicas,
            mode=mode,
            env=dict(ss.env_assignment(e).split("=", 1) for e in env or []),
            ports=[(p.published, p.target, p.protocol, p.mode) for p in ports],
            labels=dict(ss.label(item) for item in label or []),
            networks=list(network or []),
        ),
        constraints=tuple(constraint or ()),
        limit_cpu=None if limit_cpu is None else ss.nano_cpus(limit_cpu),
        limit_memory=None if limit_memory is None else ss.memory_bytes(limit_memory),
        args=tuple(command or ()),
        stop_grace_period=None if stop_grace_period is None else ss.duration_ns(stop_grace_period),
    )
    client = _client(host)
    created = services.create(client, body, services.owner)
    _out(created["id"])
    if not detach:
        services.converge(client, created["id"])
        _out("verify: Service converged")


def register(app: typer.Typer) -> None:
    """Add the `service` command group to the main application."""
    app.add_typer(service_app, name="service")
