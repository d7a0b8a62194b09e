"""The machine operations the command line (and ``up --machines`` and the console) call:
create, list, ip, env, start/stop/restart/kill, rm, inspect.

A machine is a folder in the machines directory (``machine.store``), a driver that makes its
host (``machine.drivers``), the provisioning that makes it a TLS Docker host
(``machine.provision``) and an endpoint of the console, registered on create and taken
away on rm. A failed create removes everything it made.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from swarmdeck.machine import drivers
from swarmdeck.machine.certs import CA_FILE, CERT_FILE, KEY_FILE, ClientTLS, ensure_ca, server_cert
from swarmdeck.machine.driver import Addresses, Driver
from swarmdeck.machine.errors import MachineError, MachineExists
from swarmdeck.machine.provision import Progress, provision, wait_for_engine
from swarmdeck.machine.store import MachineConfig, MachineStore, check_name, ssh_keypair


class MachineRow(TypedDict):
    """One ``machine ls`` line (the keys are Docker Machine's ``--format`` fields)."""

    Name: str
    Active: str
    DriverName: str
    State: str
    URL: str
    Swarm: str
    DockerVersion: str
    Error: str


def _quiet(_: str) -> None:
    pass


def client_tls(machine_dir: Path) -> ClientTLS:
    """The machine's copy of the client TLS files (``DOCKER_CERT_PATH`` is its folder)."""
    return ClientTLS(machine_dir / CA_FILE, machine_dir / CERT_FILE, machine_dir / KEY_FILE)


def engine_url(addresses: Addresses) -> str:
    return f"tcp://{addresses.engine_host}:{addresses.engine_port}"


def driver_of(store: MachineStore, name: str) -> tuple[MachineConfig, Driver]:
    config = store.load(name)
    return config, drivers.make(config.driver, store.machine_dir(name), config.params)


def create(
    store: MachineStore, name: str, kind: str, params: dict[str, Any], progress: Progress = _quiet
) -> MachineConfig:
    """Make machine ``name`` with driver ``kind``, provision it and register its endpoint."""
    check_name(name)
    if kind not in drivers.KINDS:
        raise MachineError(f"unknown machine driver {kind!r}: use {' or '.join(drivers.KINDS)}")
    if store.exists(name):
        raise MachineExists(f"machine {name} already exists")
    _check_endpoint_free(name)
    config = store.reserve(name, kind, params)
    folder = store.machine_dir(name)
    driver: Driver | None = None
    registered = False
    try:
        if kind == "qemu":  # its own root key, and its place on the machines' link
            params = {**params, "index": config.index, "key": str(ssh_keypair(folder))}
        driver = drivers.make(kind, folder, params)
        progress(f"Creating the host ({kind} driver)")
        driver.create()
        made = getattr(driver, "params", None)
        if callable(made):
            params = dict(made())
        config = MachineConfig(name, kind, params, config.created, config.index)
        store.save(config)
        addresses = driver.addresses()
        progress("Making the TLS certificates")
        shared = ensure_ca(store.certs_dir)
        mine = client_tls(folder)
        for source, copy in ((shared.ca, mine.ca), (shared.cert, mine.cert), (shared.key, mine.key)):
            shutil.copyfile(source, copy)
            copy.chmod(0o600 if copy == mine.key else 0o644)
        cert, key = server_cert(
            store.certs_dir, folder, name, [addresses.public, addresses.advertise, addresses.engine_host]
        )
        provision(addresses, mine, cert, key, progress)
        progress("Registering the machine as a console endpoint")
        _register_endpoint(name, engine_url(addresses), mine)
        registered = True
    except BaseException:
        _undo(store, name, driver, registered)
        raise
    return config


def _undo(store: MachineStore, name: str, driver: Driver | None, registered: bool) -> None:
    """Take away what a failed create made (best effort: the create's error is the one shown)."""
    if registered:
        _unregister_endpoint(name, None)
    if driver is not None:
        with contextlib.suppress(MachineError):
            driver.remove()
    store.delete(name)


def rows(store: MachineStore, timeout: int = 5) -> list[MachineRow]:
    """``machine ls``: every machine with its state and, when it runs, its engine's answer."""
    active = os.environ.get("DOCKER_HOST", "")
    found: list[MachineRow] = []
    for name in store.names():
        row = MachineRow(
            Name=name, Active="-", DriverName="", State="", URL="", Swarm="", DockerVersion="", Error=""
        )
        try:
            config, driver = driver_of(store, name)
            row["DriverName"] = config.driver
            row["State"] = driver.state()
            if row["State"] == "Running":
                row["URL"] = engine_url(driver.addresses())
                row["Active"] = "*" if active == row["URL"] else "-"
                row["DockerVersion"], row["Swarm"] = _engine_answer(
                    row["URL"], store.machine_dir(name), timeout
                )
        except MachineError as exc:
            row["State"] = row["State"] or "Error"
            row["Error"] = str(exc)
        found.append(row)
    return found


def _engine_answer(url: str, machine_dir: Path, timeout: int) -> tuple[str, str]:
    """The engine's version and its swarm role ("manager", "worker" or "")."""
    from swarmdeck.engine.client import connect, tls_config
    from swarmdeck.engine.errors import EngineError

    files = client_tls(machine_dir)
    try:
        client = connect(url, timeout=timeout, tls=tls_config(str(files.ca), str(files.cert), str(files.key)))
        try:
            version = str(client.version().get("Version", ""))
            swarm = client.info().get("Swarm") or {}
        finally:
            client.close()
    except EngineError as exc:
        raise MachineError(str(exc)) from exc
    if swarm.get("LocalNodeState") != "active":
        return version, ""
    return version, "manager" if swarm.get("ControlAvailable") else "worker"


def ip(store: MachineStore, name: str) -> str:
    return driver_of(store, name)[1].addresses().public


def env_lines(name: str, url: str, cert_path: Path, command: str = "swarmdeck machine") -> list[str]:
    """What ``machine env NAME`` prints: the variables the docker CLI reads, as shell exports."""
    return [
        'export DOCKER_TLS_VERIFY="1"',
        f'export DOCKER_HOST="{url}"',
        f'export DOCKER_CERT_PATH="{cert_path}"',
        f'export DOCKER_MACHINE_NAME="{name}"',
        "# Run this command to configure your shell: ",
        f"# eval $({command} env {name})",
    ]


def unset_lines(command: str = "swarmdeck machine") -> list[str]:
    """What ``machine env --unset`` prints."""
    return [
        "unset DOCKER_TLS_VERIFY",
        "unset DOCKER_HOST",
        "unset DOCKER_CERT_PATH",
        "unset DOCKER_MACHINE_NAME",
        "# Run this command to configure your shell: ",
        f"# eval $({command} env --unset)",
    ]


def env(store: MachineStore, name: str) -> list[str]:
    _, driver = driver_of(store, name)
    return env_lines(name, engine_url(driver.addresses()), store.machine_dir(name))


def start(store: MachineStore, name: str, progress: Progress = _quiet) -> None:
    _, driver = driver_of(store, name)
    driver.start()
    progress(f"Waiting for {name}'s engine")
    wait_for_engine(driver.addresses(), client_tls(store.machine_dir(name)))


def stop(store: MachineStore, name: str) -> None:
    driver_of(store, name)[1].stop()


def kill(store: MachineStore, name: str) -> None:
    driver_of(store, name)[1].kill()


def restart(store: MachineStore, name: str, progress: Progress = _quiet) -> None:
    _, driver = driver_of(store, name)
    own: Callable[[], None] | None = getattr(driver, "restart", None)
    if own is not None:
        own()
    else:
        driver.stop()
        driver.start()
    progress(f"Waiting for {name}'s engine")
    wait_for_engine(driver.addresses(), client_tls(store.machine_dir(name)))


def remove(store: MachineStore, name: str, force: bool = False) -> None:
    """Remove the machine: its host (as its driver does), its endpoint, its folder. With
    ``force``, a host that cannot be reached does not stop the rest."""
    _, driver = driver_of(store, name)
    try:
        url: str | None = engine_url(driver.addresses())
        driver.remove()
    except MachineError:
        if not force:
            raise
        url = None  # a half-made machine: its endpoint, if any, is still the one it registered
    _unregister_endpoint(name, url)
    store.delete(name)


def inspect(store: MachineStore, name: str) -> dict[str, Any]:
    """``machine inspect``: the machine's configuration and addresses, as JSON."""
    config, driver = driver_of(store, name)
    a = driver.addresses()
    folder = store.machine_dir(name)
    return {
        "Name": name,
        "DriverName": config.driver,
        "Driver": config.params,
        "Created": config.created,
        "Index": config.index,
        "StorePath": str(folder),
        "URL": engine_url(a),
        "HostOptions": {
            "AuthOptions": {
                "CertDir": str(folder),
                "CaCertPath": str(folder / CA_FILE),
                "ClientCertPath": str(folder / CERT_FILE),
                "ClientKeyPath": str(folder / KEY_FILE),
            }
        },
        "Addresses": {
            "SSH": {"Host": a.ssh.host, "Port": a.ssh.port, "User": a.ssh.user, "Key": str(a.ssh.key)},
            "Engine": {"Host": a.engine_host, "Port": a.engine_port},
            "Advertise": a.advertise,
            "Public": a.public,
            "Ports": {str(k): v for k, v in a.ports.items()},
        },
    }


# --- the console's endpoints ------------------------------------------------------------
def _console_store() -> Any:
    from swarmdeck.store import Store, default_data_dir

    return Store(default_data_dir(), os.environ.get("SWARMDECK_DATABASE_URL") or None)


def _check_endpoint_free(name: str) -> None:
    from swarmdeck.store import NotFound

    console = _console_store()
    try:
        console.get_endpoint(name)
    except NotFound:
        return
    finally:
        console.close()
    raise MachineError(f"the console has an endpoint named {name} already: remove it or pick another name")


def _register_endpoint(name: str, url: str, files: ClientTLS) -> None:
    """The machine's engine as a console endpoint, its TLS material kept in the console's
    database (the client key encrypted), so the console needs no access to this folder."""
    from swarmdeck.store import TLSMaterial

    material = TLSMaterial(files.ca.read_text(), files.cert.read_text(), files.key.read_text())
    console = _console_store()
    try:
        console.add_endpoint(name, url, tls_material=material)
    finally:
        console.close()


def _unregister_endpoint(name: str, url: str | None) -> None:
    """Remove the console's endpoint of the machine (one with its URL and TLS material only)."""
    from swarmdeck.store import NotFound

    console = _console_store()
    try:
        endpoint = console.get_endpoint(name)
        if endpoint.tls_material and url in (None, endpoint.url):
            console.remove_endpoint(name)
    except NotFound:
        pass
    finally:
        console.close()
