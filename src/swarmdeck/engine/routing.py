"""How published ports reach a swarm's services on this kernel.

Swarm's routing mesh (ingress network, service VIPs) needs the kernel's IPVS. Most hosts
have it; some (minimal VMs, this project's CI machines) do not, and there published ingress
ports simply refuse connections. swarmdeck then deploys the same stack with the service in
``dnsrr`` mode behind a global proxy service publishing the port in host mode, which gives
the same behaviour: a request at any node's port reaches replicas on every node.
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI offers ``Routing``'s values without loading the docker SDK
    import docker


class Routing(enum.StrEnum):
    MESH = "mesh"  # Swarm's own ingress routing mesh (IPVS)
    PROXY = "proxy"  # a global host-mode proxy in front of a dnsrr service


IP_VS_PROC = "/proc/net/ip_vs"


def kernel_has_ipvs() -> bool:
    """True when this kernel offers IPVS, loading the module first when it can."""
    if os.path.exists(IP_VS_PROC):
        return True
    modprobe = shutil.which("modprobe")
    if modprobe:
        subprocess.run([modprobe, "-q", "ip_vs"], check=False, capture_output=True)
    return os.path.exists(IP_VS_PROC)


def detect_routing(client: docker.DockerClient) -> tuple[Routing, str]:
    """Pick the routing for the engine's swarm, with the reason to show the user."""
    from swarmdeck.engine.client import is_local

    if not is_local(client):
        return Routing.MESH, "remote engine: assuming its kernel has IPVS (use --routing proxy if not)"
    if kernel_has_ipvs():
        return Routing.MESH, "this kernel has IPVS: using Swarm's ingress routing mesh"
    return Routing.PROXY, (
        "this kernel has no IPVS, so Swarm's routing mesh cannot work here: "
        "publishing through a proxy on every node instead"
    )
