"""The `swarmdeck` stack: the console as a swarm service, where the report ran Portainer.

One service, ``console``, from the ``swarmdeck-console`` image, deployed with swarmdeck's
own stack engine:

- the engine's socket is mounted, as the report does for Portainer, so the console manages
  the engine it runs on;
- its state (SQLite, keys, the setup code) is on a named volume at ``/data``;
- it is placed on this manager node, because the socket and the volume are this node's;
- it is attached to the ``host`` network: it listens on the host's port directly (no
  ingress needed, so also on kernels without IPVS) and reaches a registry bound to the
  host's loopback, such as the one ``up`` starts;
- ``/etc/docker/certs.d``, where the engine finds the CAs of TLS registries, is mounted
  read-only when it exists, so that the console trusts the registries the engine trusts.

As replicas (``replicas`` > 1, with ``database_url``: PostgreSQL), the console's tasks share
the database and a swarm secret (``<stack>_console-key``, 32 random bytes made once) from
which each derives the same keys and setup code (``store/sharedkeys.py``): they act as one
console, whichever answers. They then publish the port through the swarm's ingress instead of
the host network (two tasks cannot both listen on the host's port); each keeps its own
``/data`` (deploy journals, TLS files made from the database) on its node's volume. SQLite
cannot be shared by replicas: ``replicas`` > 1 without a database URL is refused.

The database URL (with its password) is never in the service's spec: it is a swarm secret,
``<stack>_console-db-<hash>``, mounted at ``/run/secrets/console-database-url`` and read by
``serve --database-url-file``, so `docker service inspect`, the task's environment and `up`'s
output show only its name. The engine never gives a secret's content back, so the name carries
a hash of the URL: a changed URL is a new secret, hence a service update, and the secrets of
earlier URLs are removed once the service no longer uses them. The hash is scrypt, salted with
the stack's name, and cut to 48 bits: the name does not help anyone guess the password. The
secret carries the stack's namespace label, so removing the stack (`down`) removes it too.

The managed registry stays a plain container (see ``private_registry``): a swarm service
cannot publish on loopback, and a registry without credentials must not listen on every
interface.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx
import yaml

from swarmdeck.engine.client import endpoint_url
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound
from swarmdeck.engine.labels import STACK_NAMESPACE
from swarmdeck.engine.swarm import swarm_state
from swarmdeck.images.console_image import DATA_DIR, HEALTH_PROBE, PORT
from swarmdeck.platform import hostports, stack_cli
from swarmdeck.platform.errors import PlatformError
from swarmdeck.store.setupcode import SETUP_CODE_FILE as _CODE_FILE

STACK = "swarmdeck"
SERVICE = "console"
VOLUME = "console-data"
KEY_SECRET = "console-key"  # the replicas' shared secret (store/sharedkeys.py)
KEY_LABEL = "io.swarmdeck.console-key"  # on that secret: the stack it is for
DB_SECRET = "console-database-url"  # the database URL's secret, as the task sees it
DB_LABEL = "io.swarmdeck.console-database-url"  # on that secret: the stack it is for
ENGINE_SOCKET = "/var/run/docker.sock"
CERTS_DIR = Path("/etc/docker/certs.d")
SETUP_CODE_FILE = f"{DATA_DIR}/{_CODE_FILE}"
DEFAULT_PORT = PORT


@dataclass(frozen=True)
class ConsoleState:
    urls: list[str]
    setup_required: bool
    setup_code: str | None  # only while no admin exists; shown to the operator, never logged


def engine_socket(endpoint: str | None) -> str:
    """The engine's socket on its host: the one ``up`` talks to when it is a unix socket."""
    url = endpoint_url(endpoint)
    return url.removeprefix("unix://") if url.startswith("unix://") else ENGINE_SOCKET


def check_replicas(replicas: int, database_url: str | None) -> None:
    """Refuse replicas the console cannot run as: fewer than one, or several on SQLite."""
    if replicas < 1:
        raise PlatformError(f"--console-replicas {replicas}: give at least 1")
    if replicas > 1 and not database_url:
        raise PlatformError(
            f"--console-replicas {replicas} needs --console-database-url (PostgreSQL: "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB): replicas cannot share the SQLite file "
            "in a data directory"
        )


def compose_file(
    image: str,
    node_id: str,
    port: int,
    socket_path: str,
    registries: list[str],
    certs_dir: Path | None,
    replicas: int = 1,
    database_url: str | None = None,
    stack: str = STACK,
) -> dict:
    """The stack's compose file (a dict, as ``docker stack deploy`` would read it)."""
    check_replicas(replicas, database_url)
    command = ["serve", "--host", "0.0.0.0", "--port", str(port), "--data-dir", DATA_DIR]
    for address in registries:
        command += ["--registry", address]
    volumes: list[dict[str, str | bool]] = [
        {"type": "bind", "source": socket_path, "target": ENGINE_SOCKET},
        {"type": "volume", "source": VOLUME, "target": DATA_DIR},
    ]
    if certs_dir is not None:
        volumes.append(
            {"type": "bind", "source": str(certs_dir), "target": str(CERTS_DIR), "read_only": True}
        )
    service: dict = {
        "image": image,
        "command": command,
        "volumes": volumes,
        "networks": ["hostnet"],
    }
    top: dict = {"networks": {"hostnet": {"external": True, "name": "host"}}}
    used: dict[str, str] = {}  # the service's secrets: the name in the file -> the swarm's name
    if database_url:
        command += ["--database-url-file", f"/run/secrets/{DB_SECRET}"]
        used[DB_SECRET] = database_secret_name(stack, database_url)
    if replicas > 1:
        command += ["--shared-secret-file", f"/run/secrets/{KEY_SECRET}"]
        used[KEY_SECRET] = key_secret_name(stack)
        service["networks"] = ["default"]
        service["ports"] = [{"target": port, "published": port, "protocol": "tcp", "mode": "ingress"}]
        top = {}
    if used:
        service["secrets"] = [{"source": key, "target": key, "mode": 0o400} for key in used]
        top["secrets"] = {key: {"external": True, "name": name} for key, name in used.items()}
    return {
        "version": "3.8",
        "services": {
            SERVICE: {
                **service,
                "healthcheck": {
                    "test": ["CMD", "python3", "-c", HEALTH_PROBE, str(port)],
                    "interval": "5s",
                    "timeout": "3s",
                    "retries": 3,
                    "start_period": "10s",
                },
                "deploy": {
                    "replicas": replicas,
                    "placement": {"constraints": [f"node.id == {node_id}"]},
                    "restart_policy": {"condition": "any"},
                },
            }
        },
        "volumes": {VOLUME: {}},
        **top,
    }


def deployed_port(client: docker.DockerClient) -> int | None:
    """The port the deployed console listens on (its ``--port``), if the stack exists."""
    for service in stack_cli.stack_services(client, STACK):
        args = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Args") or []
        if service.name == f"{STACK}_{SERVICE}" and "--port" in args[:-1]:
            return int(args[args.index("--port") + 1])
    return None


def check_port_free(client: docker.DockerClient, port: int) -> None:
    """Refuse when something other than the deployed console holds the port on this host."""
    if deployed_port(client) == port:
        return
    refusal = hostports.bind_refusal(port)
    if refusal:
        raise PlatformError(
            f"port {port} is already in use on this host ({refusal}), so the console "
            f"cannot listen there; stop what holds it (`ss -ltnp 'sport = :{port}'`), give "
            f"--console-port PORT, or --no-console"
        )


def deploy(
    client: docker.DockerClient,
    image: str,
    port: int,
    registries: list[str],
    endpoint: str | None,
    replicas: int = 1,
    database_url: str | None = None,
    stack: str = STACK,
) -> list[str]:
    """Deploy (or update, or leave unchanged) the `swarmdeck` stack; returns what it printed.

    With ``replicas`` > 1 the shared secret is made first (once: it is kept across deploys);
    with ``database_url``, its secret (unless one for this URL exists). Once the service is
    deployed, the secrets of earlier database URLs are removed."""
    node_id = swarm_state(client).node_id
    certs = CERTS_DIR if CERTS_DIR.is_dir() else None
    compose = compose_file(
        image, node_id, port, engine_socket(endpoint), registries, certs, replicas, database_url, stack
    )
    printed: list[str] = []
    if replicas > 1:
        ensure_key_secret(client, stack)
    keep = ensure_database_secret(client, stack, database_url, printed) if database_url else None
    with tempfile.TemporaryDirectory(prefix="swarmdeck-console-") as workdir:
        path = Path(workdir) / "docker-compose.yml"
        path.write_text(yaml.safe_dump(compose, sort_keys=False))
        printed += stack_cli.deploy(client, path, stack, env={})
    prune_database_secrets(client, stack, keep, printed)
    return printed


def key_secret_name(stack: str) -> str:
    return f"{stack}_{KEY_SECRET}"


def ensure_key_secret(client: docker.DockerClient, stack: str) -> str:
    """The swarm secret the replicas derive their keys from (``<stack>_console-key``), made
    with 32 random bytes unless it exists; its name. It is never read back by swarmdeck, and
    not labelled as the stack's: removing the stack keeps it, as what it sealed (in the
    database) needs the same key when the console comes back."""
    name = key_secret_name(stack)
    with doing(f"looking for the secret {name}"):
        found = [s for s in client.secrets.list(filters={"name": name}) if s.name == name]
    if not found:
        with doing(f"creating the secret {name}"):
            client.secrets.create(name=name, data=secrets.token_bytes(32), labels={KEY_LABEL: stack})
    return name


def database_secret_name(stack: str, database_url: str) -> str:
    """``<stack>_console-db-<hash>``: the name of the secret holding ``database_url``."""
    digest = hashlib.scrypt(
        database_url.encode(), salt=f"swarmdeck-console-db/{stack}".encode(), n=2**14, r=8, p=1, dklen=16
    )
    return f"{stack}_console-db-{digest.hex()[:12]}"


def ensure_database_secret(
    client: docker.DockerClient, stack: str, database_url: str, printed: list[str]
) -> str:
    """The secret holding ``database_url`` (made unless it exists, labelled as the stack's and
    as its database URL's); its name. Its content is never printed, read back or logged."""
    name = database_secret_name(stack, database_url)
    with doing(f"looking for the secret {name}"):
        found = [s for s in client.secrets.list(filters={"name": name}) if s.name == name]
    if not found:
        printed.append(f"Creating secret {name}")
        with doing(f"creating the secret {name}"):
            client.secrets.create(
                name=name, data=database_url.encode(), labels={STACK_NAMESPACE: stack, DB_LABEL: stack}
            )
    return name


def prune_database_secrets(
    client: docker.DockerClient, stack: str, keep: str | None, printed: list[str]
) -> None:
    """Remove the stack's database URL secrets other than ``keep`` (earlier URLs' secrets,
    which the service updated just now no longer uses)."""
    with doing(f"listing the database URL secrets of {stack}"):
        found = client.secrets.list(filters={"label": f"{DB_LABEL}={stack}"})
    for secret in sorted(found, key=lambda s: s.name):
        if secret.name != keep:
            printed.append(f"Removing secret {secret.name}")
            with doing(f"removing the secret {secret.name}"):
                secret.remove()


def wait_healthy(address: str, port: int, timeout: float) -> bool:
    """Poll ``/api/health`` until it answers; returns whether the first admin is still missing."""
    url = f"http://{address}:{port}/api/health"
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = httpx.get(url, timeout=3.0)
            if answer.status_code == 200:
                return bool(answer.json().get("setup_required"))
            problem = f"HTTP {answer.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            problem = str(exc) or type(exc).__name__
        if time.monotonic() > deadline:
            raise PlatformError(f"the console did not answer {url} within {timeout:.0f} s: {problem}")
        time.sleep(0.5)


def running_container(client: docker.DockerClient):
    """The console's running container on this engine."""
    try:
        with doing(f"looking for the service {STACK}_{SERVICE}"):
            service = client.services.get(f"{STACK}_{SERVICE}")
    except EngineNotFound as exc:
        raise PlatformError(f"no service {STACK}_{SERVICE} on this swarm: run `swarmdeck up`") from exc
    for task in service.tasks(filters={"desired-state": "running"}):
        container_id = (task["Status"].get("ContainerStatus") or {}).get("ContainerID")
        if task["Status"]["State"] == "running" and container_id:
            try:
                with doing(f"looking for the container {container_id[:12]}"):
                    return client.containers.get(container_id)
            except EngineNotFound:
                continue
    raise PlatformError(
        f"the service {STACK}_{SERVICE} has no running task on this engine "
        "(`swarmdeck stack ps swarmdeck` shows why)"
    )


def read_setup_code(client: docker.DockerClient) -> str | None:
    """The one-time setup code of the running console (None once an admin exists).

    Read with the engine's exec API, as ``cat`` in the container: no shell, no quoting.
    """
    container = running_container(client)
    with doing(f"reading {SETUP_CODE_FILE} in {container.name}"):
        result = container.exec_run(["cat", SETUP_CODE_FILE], stdout=True, stderr=False)
    if result.exit_code != 0:
        return None
    return result.output.decode().strip() or None
