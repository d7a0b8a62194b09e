"""`swarmdeck up` / `down`: the report's whole walkthrough on the local engine.

engine → routing → base images → swarm → private registry → build, tag, push friendlyhello →
deploy the stack → wait for every replica → verify the counter across nodes → the console
(image, the `swarmdeck` stack, its health and setup code). Each step reuses what exists, so
a second `up` changes nothing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker
import yaml

from swarmdeck.engine.client import connect, endpoint_url
from swarmdeck.engine.routing import Routing, detect_routing
from swarmdeck.engine.swarm import swarm_state
from swarmdeck.images.bootstrap import ensure_base_images
from swarmdeck.images.build import build_image, prepare_wheelhouse, push_image, tag_image
from swarmdeck.images.console_image import ensure_console_image
from swarmdeck.platform import (
    console_service,
    converge,
    hostports,
    ingress,
    multinode,
    private_registry,
    registry_service,
    stack_cli,
    verify,
)
from swarmdeck.platform.errors import PlatformError
from swarmdeck.platform.progress import Reporter
from swarmdeck.swarm import membership
from swarmdeck.swarm.nodes import list_nodes
from swarmdeck.swarm.views import NodeView

APP_IMAGE = "friendlyhello"


def default_app_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "apps" / "friendlyhello"


@dataclass
class UpOptions:
    stack: str = "friendlyhello"
    endpoint: str | None = None
    registry: str | None = None  # an existing registry every node can pull from
    registry_port: int = 5000
    routing: Routing | None = None  # None: detect
    advertise_addr: str | None = None
    requests_per_node: int = 10
    timeout: float = 300.0
    app_dir: Path = field(default_factory=default_app_dir)
    console: bool = True  # deploy the `swarmdeck` stack with the console
    console_port: int = console_service.DEFAULT_PORT
    console_replicas: int = 1  # > 1 needs console_database_url (console_service.check_replicas)
    console_database_url: str | None = None
    # The hosts of the swarm, its manager first (`up --machines`); empty: the swarm of the
    # engine at ``endpoint``. Images are built by the engine at ``endpoint`` either way.
    hosts: list[multinode.Host] = field(default_factory=list)


@dataclass
class UpSummary:
    urls: list[str]
    registry: str
    image: str
    routing: Routing
    nodes: list[NodeView]
    check: verify.Verification
    console: console_service.ConsoleState | None = None


def up(options: UpOptions, reporter: Reporter) -> UpSummary:
    compose_file = options.app_dir / "docker-compose.yml"
    if not (options.app_dir / "Dockerfile").is_file() or not compose_file.is_file():
        raise PlatformError(
            f"friendlyhello's Dockerfile and docker-compose.yml are not in {options.app_dir}; give --app-dir"
        )

    reporter.step("Docker engine")
    client = connect(options.endpoint)
    version = client.version()
    reporter.done(
        f"Docker Engine {version.get('Version')} (API {version.get('ApiVersion')}) "
        f"at {endpoint_url(options.endpoint)}"
    )

    manager = client
    if options.hosts:
        reporter.step("Swarm of " + ", ".join(h.name for h in options.hosts))
        multinode.form_swarm(options.hosts, reporter.detail)
        manager = options.hosts[0].client
        reporter.done(f"{options.hosts[0].name} manages, the others work")

    reporter.step("Routing")
    if options.routing is None:
        routing, reason = detect_routing(manager)
    else:
        routing, reason = options.routing, f"--routing {options.routing.value} given"
    reporter.note(reason)
    reporter.done(f"routing: {routing.value}")

    reporter.step("Swarm")
    nodes = _ensure_swarm(manager, options, reporter)
    if options.hosts and options.console:
        reporter.note("the console is not deployed on machines (yet): run it here, `swarmdeck serve`")
        options.console = False
    if options.console:
        console_service.check_replicas(options.console_replicas, options.console_database_url)
        console_service.check_port_free(client, options.console_port)

    reporter.step("Base images")
    roles = ["python", "redis"]
    if options.registry is None:
        roles.append("registry")
    if routing is Routing.PROXY:
        roles.append("proxy")
    choices = ensure_base_images(
        client, roles=roles, progress=lambda role, msg: reporter.detail(f"{role}: {msg}")
    )
    for role in roles:
        reporter.note(f"{role}: {choices[role].image} ({choices[role].source})")
    reporter.done("base images: " + ", ".join(f"{r}={choices[r].image}" for r in roles))

    reporter.step("Private registry")
    pusher = client  # the engine that pushes to the registry
    if options.registry:
        registry = options.registry
        reporter.done(private_registry.attach_registry(registry))
    elif len(nodes) > 1:
        if routing is Routing.PROXY and not options.hosts:
            raise PlatformError(
                f"this swarm has {len(nodes)} nodes and no routing mesh (no IPVS), so its nodes "
                f"cannot reach one registry at 127.0.0.1:{registry_service.PORT}; give --registry "
                f"HOST:PORT, a registry every node can pull from"
            )
        pusher = manager
        host = options.hosts[0] if options.hosts else multinode.Host("manager", manager, "", _local_address())
        if pusher is not client:
            multinode.copy_images(client, pusher, [choices["registry"].image], reporter.detail)
        registry = registry_service.ADDRESS
        manager_id = swarm_state(manager).node_id
        if routing is Routing.PROXY:
            for each in options.hosts:  # before any registry, each node's proxy needs its image
                multinode.copy_images(client, each.client, [choices["proxy"].image], reporter.detail)
            what = registry_service.ensure_registry_behind_proxy(
                host, choices["registry"].image, choices["proxy"].image, manager_id
            )
        else:
            what = registry_service.ensure_registry_service(host, choices["registry"].image, manager_id)
        reporter.done(what)
    else:
        notify = private_registry.console_url(options.console_port) if options.console else None
        registry, what = private_registry.ensure_registry(
            client, choices["registry"].image, port=options.registry_port, notify=notify
        )
        reporter.done(what)

    reporter.step("Build, tag and push friendlyhello")
    arch = client.info().get("Architecture", "x86_64")
    prepare_wheelhouse(options.app_dir, arch, progress=reporter.detail)
    build_image(
        client,
        options.app_dir,
        f"{APP_IMAGE}:latest",
        buildargs={"BASE": choices["python"].image},
        progress=reporter.detail,
    )
    image = f"{registry}/{APP_IMAGE}:latest"
    digest = _publish(client, pusher, f"{APP_IMAGE}:latest", image, reporter)
    runtime: dict[str, str] = {
        role: _shareable(client, pusher, registry, choices[role], reporter)
        for role in ("redis", "proxy")
        if role in choices
    }
    reporter.done(f"pushed {image}@{digest}")

    reporter.step(f"Deploy stack {options.stack}")
    stack_file = _deploy(manager, options, routing, compose_file, image, runtime)
    reporter.done(f"deployed {stack_file}")

    reporter.step("Wait for every replica")
    services = converge.wait_converged(
        manager,
        options.stack,
        options.timeout,
        on_progress=lambda ps: reporter.detail(", ".join(f"{p.name} {p.running}/{p.desired}" for p in ps)),
    )
    reporter.done(", ".join(f"{p.name} {p.running}/{p.desired}" for p in services))

    reporter.step("Verify")
    service, port = _published_port(compose_file)
    if options.hosts:
        endpoints = [(h.public, h.port(port)) for h in options.hosts]
    else:
        endpoints = [(n["addr"], port) for n in nodes]
    replicas = next(p.running for p in services if p.name == f"{options.stack}_{service}")
    check = _verify_until_spread(endpoints, replicas, options)
    reporter.done(
        f"{check.requests} requests over {len(endpoints)} node(s): visits "
        f"{check.first}..{check.last}, none repeated or lost; "
        f"{len(check.hostnames)} replica(s) answered"
    )
    console = None
    if options.console:
        console = _console(client, options, choices["python"].image, registry, reporter)
    return UpSummary(
        [f"http://{a}:{p}/" for a, p in endpoints], registry, image, routing, nodes, check, console
    )


def _console(
    client: docker.DockerClient, options: UpOptions, base: str, registry: str, reporter: Reporter
) -> console_service.ConsoleState:
    """Build (if its sources changed) and push the console's image, deploy the `swarmdeck`
    stack, wait for it, and check that the console answers; read its setup code if any."""
    reporter.step("Console image")
    built = ensure_console_image(client, base, progress=reporter.detail)
    image = f"{registry}/{built.tag}"
    tag_image(client, built.tag, image)
    digest = push_image(client, image, progress=reporter.detail)
    reporter.done(f"{'built' if built.built else 'reused'} {built.tag}, pushed {image}@{digest}")

    reporter.step(f"Deploy stack {console_service.STACK}")
    console_service.deploy(
        client,
        image,
        options.console_port,
        [registry],
        options.endpoint,
        options.console_replicas,
        options.console_database_url,
    )
    services = converge.wait_converged(
        client,
        console_service.STACK,
        options.timeout,
        on_progress=lambda ps: reporter.detail(", ".join(f"{p.name} {p.running}/{p.desired}" for p in ps)),
    )
    address = swarm_state(client).node_addr
    setup_required = console_service.wait_healthy(address, options.console_port, timeout=60.0)
    url = f"http://{address}:{options.console_port}/"
    reporter.done(
        ", ".join(f"{p.name} {p.running}/{p.desired}" for p in services) + f"; {url}api/health answers"
    )
    code = console_service.read_setup_code(client) if setup_required else None
    return console_service.ConsoleState([url], setup_required, code)


def _ensure_swarm(
    client: docker.DockerClient,
    options: UpOptions,
    reporter: Reporter,
) -> list[NodeView]:
    state = swarm_state(client)
    if state.local_state == "inactive":
        membership.init(client, options.advertise_addr)
        what = "initialised a new swarm; this engine is its manager"
    else:
        membership.require_manager(client)
        what = "this engine already manages a swarm"
    nodes = [n for n in list_nodes(client) if n["state"] == "ready"]
    reporter.done(
        f"{what}: {len(nodes)} ready node(s) "
        + ", ".join(f"{n['hostname']}@{n['addr']} ({n['role']})" for n in nodes)
    )
    return nodes


def _shareable(
    client: docker.DockerClient, pusher: docker.DockerClient, registry: str, choice, reporter: Reporter
) -> str:
    """An image reference every node can pull.

    A pulled official image is pulled by each node itself. One made here (bootstrapped,
    or only present locally) reaches the other nodes through the private registry.
    """
    if choice.source == "pulled":
        return choice.image
    reference = f"{registry}/{choice.image}"
    _publish(client, pusher, choice.image, reference, reporter)
    return reference


def _publish(
    client: docker.DockerClient, pusher: docker.DockerClient, source: str, reference: str, reporter: Reporter
) -> str:
    """Tag ``source`` as ``reference`` and push it from ``pusher``, the engine that reaches the
    registry (the swarm's manager when the registry is its service), copying it there first."""
    tag_image(client, source, reference)
    if pusher is client:
        return push_image(client, reference, progress=reporter.detail)
    multinode.copy_images(client, pusher, [reference], reporter.detail)
    return registry_service.push_through(pusher, reference, reporter.detail)


def _local_address() -> str:
    """Where this host's own published ports answer."""
    return "127.0.0.1"


def _deploy(
    client: docker.DockerClient,
    options: UpOptions,
    routing: Routing,
    compose_file: Path,
    image: str,
    runtime: dict[str, str],
) -> Path:
    compose = yaml.safe_load(compose_file.read_text())
    workdir = Path(tempfile.mkdtemp(prefix=f"swarmdeck-{options.stack}-"))
    if routing is Routing.PROXY:
        compose, proxy_config = ingress.with_proxy_ingress(compose, options.stack, runtime["proxy"])
        (workdir / "haproxy.cfg").write_text(proxy_config)
    if not options.hosts:  # on machines the ports are theirs, not this host's
        _check_ports_free(client, options.stack, compose)
    stack_file = workdir / "docker-compose.yml"
    stack_file.write_text(yaml.safe_dump(compose, sort_keys=False))
    stack_cli.deploy(
        client, stack_file, options.stack, env={"FRIENDLYHELLO_IMAGE": image, "REDIS_IMAGE": runtime["redis"]}
    )
    return stack_file


def _check_ports_free(client: docker.DockerClient, stack: str, compose: dict) -> None:
    """Refuse before deploying when another program on this host holds a published port.

    Ports this stack already publishes are its own (a second `up`); any other holder would
    leave the stack's tasks pending with 'port already in use' long after deploy returned.
    """
    ours = {
        int(p["PublishedPort"])
        for s in stack_cli.stack_services(client, stack)
        for p in (s.attrs.get("Endpoint") or {}).get("Ports") or []
    }
    for port in _all_published(compose):
        if port in ours:
            continue
        refusal = hostports.bind_refusal(port)
        if refusal:
            raise PlatformError(
                f"port {port} is already in use on this host ({refusal}); "
                f"stop what holds it (`ss -ltnp 'sport = :{port}'`) and run up again"
            )


def _all_published(compose: dict) -> list[int]:
    ports = []
    for service in (compose.get("services") or {}).values():
        for port in (service or {}).get("ports") or []:
            if isinstance(port, dict):
                if port.get("published"):
                    ports.append(int(port["published"]))
            elif ":" in str(port):
                ports.append(int(str(port).split("/")[0].split(":")[-2]))
    return ports


def _published_port(compose_file: Path) -> tuple[str, int]:
    """The first service that publishes a port, and that port."""
    compose = yaml.safe_load(compose_file.read_text())
    for name, service in (compose.get("services") or {}).items():
        ports = _all_published({"services": {name: service}})
        if ports:
            return name, ports[0]
    raise PlatformError(f"{compose_file}: no service publishes a port")


def _verify_until_spread(
    endpoints: list[tuple[str, int]], replicas: int, options: UpOptions
) -> verify.Verification:
    """Verify, and require every replica to have answered.

    Right after a deploy the proxy may still be learning the tasks' addresses, so a few
    rounds are allowed before an unseen replica counts as a failure.
    """
    for _ in range(10):
        check = verify.verify_counter(endpoints, options.requests_per_node)
        if len(check.hostnames) >= replicas:
            return check
    raise PlatformError(
        f"only {len(check.hostnames)} of {replicas} replicas answered {check.requests} requests "
        f"at {', '.join(f'{a}:{p}' for a, p in endpoints)}: the routing does not reach every replica"
    )


def down(stack: str, endpoint: str | None, volumes: bool, registry: bool, reporter: Reporter) -> list[str]:
    """Remove the stack and the console's `swarmdeck` stack (and with ``volumes`` their
    volumes on this node; with ``registry`` the managed registry container too)."""
    reporter.step("Docker engine")
    client = connect(endpoint)
    reporter.done(f"engine at {endpoint_url(endpoint)}")
    removed: list[str] = []
    stacks = [stack, console_service.STACK]
    reporter.step(f"Remove stacks {' and '.join(stacks)}")
    active = swarm_state(client).active
    if active:
        membership.require_manager(client)
    for name in stacks:
        if active:
            removed += stack_cli.remove(client, name)
        if volumes:
            for volume in client.volumes.list(filters={"label": f"{stack_cli.NAMESPACE_LABEL}={name}"}):
                volume.remove()
                removed.append(f"volume {volume.name}")
    if registry:
        removed += private_registry.remove_registry(client, volumes)
    reporter.done("removed " + (", ".join(removed) if removed else "nothing (already gone)"))
    return removed
