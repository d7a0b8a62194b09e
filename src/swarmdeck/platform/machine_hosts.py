"""The machines `up --machines` makes its swarm of, as the platform's hosts: each one's engine
over TLS and where it is reached (from here, and from the other machines)."""

from __future__ import annotations

from swarmdeck.engine.client import connect, tls_config
from swarmdeck.machine import machines
from swarmdeck.machine.store import MachineStore
from swarmdeck.platform.errors import PlatformError
from swarmdeck.platform.multinode import Host


def hosts_of(names: list[str], store: MachineStore | None = None) -> list[Host]:
    """The named machines, in the order given (the first manages the swarm)."""
    store = store or MachineStore()
    if len(set(names)) != len(names):
        raise PlatformError(f"--machines names a machine twice: {','.join(names)}")
    hosts = []
    for name in names:
        config, driver = machines.driver_of(store, name)
        if driver.state() != "Running":
            raise PlatformError(
                f"machine {name} is {driver.state().lower()}: `swarmdeck machine start {name}`"
            )
        addresses = driver.addresses()
        files = machines.client_tls(store.machine_dir(config.name))
        client = connect(
            machines.engine_url(addresses), tls=tls_config(str(files.ca), str(files.cert), str(files.key))
        )
        hosts.append(Host(name, client, addresses.advertise, addresses.public, dict(addresses.ports)))
    return hosts
