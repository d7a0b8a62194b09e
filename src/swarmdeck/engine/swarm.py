"""What one engine says of its swarm membership, and the host's default-route address.

Raw engine facts only: joining, leaving and requiring a manager are the swarm layer's
(``swarmdeck.swarm.membership``), which builds on these.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from swarmdeck.engine.light import ReadClient


@dataclass(frozen=True)
class SwarmState:
    """What one engine says about its swarm membership."""

    local_state: str  # inactive | pending | active | error | locked
    is_manager: bool
    node_id: str
    node_addr: str
    cluster_id: str

    @property
    def active(self) -> bool:
        return self.local_state == "active"


def swarm_state(client: ReadClient) -> SwarmState:
    swarm = client.info().get("Swarm") or {}
    return SwarmState(
        local_state=swarm.get("LocalNodeState") or "inactive",
        is_manager=bool(swarm.get("ControlAvailable")),
        node_id=swarm.get("NodeID") or "",
        node_addr=swarm.get("NodeAddr") or "",
        cluster_id=(swarm.get("Cluster") or {}).get("ID") or "",
    )


def default_route_address() -> str | None:
    """The IPv4 address of the interface holding this host's default route, if any."""
    ip = shutil.which("ip")
    if ip is None:
        return None
    try:
        routes = json.loads(
            subprocess.run(
                [ip, "-j", "route", "show", "default"], capture_output=True, text=True, check=True, timeout=5
            ).stdout
            or "[]"
        )
        if not routes:
            return None
        addrs = json.loads(
            subprocess.run(
                [ip, "-j", "-4", "addr", "show", "dev", routes[0]["dev"]],
                capture_output=True,
                text=True,
                check=True,
                timeout=5,
            ).stdout
        )
    except (subprocess.SubprocessError, ValueError, KeyError):
        return None
    for link in addrs:
        for info in link.get("addr_info", []):
            if info.get("family") == "inet" and info.get("local"):
                return str(info["local"])
    return None
