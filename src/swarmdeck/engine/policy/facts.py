"""What the restricted workload policy must know of the engine it guards: the networks (the
host network has many names) and the volumes that already exist (used as they were made)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
import requests.exceptions

from swarmdeck.engine.client import api_error


@dataclass(frozen=True)
class Facts:
    """What the restricted policy needs to know about the engine: its networks (to find the
    host network by name or ID) and its volumes (a volume that already exists is used as it
    was made, whatever options a mount asks for)."""

    networks: tuple[Mapping[str, Any], ...] = ()
    volumes: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, client: docker.DockerClient) -> Facts:
        try:
            networks = client.api.networks()
            volumes = client.api.volumes().get("Volumes") or []
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise api_error("reading the engine's networks and volumes for the workload policy", exc) from exc
        return cls(
            tuple(networks), {v["Name"]: (v.get("Driver") or "", v.get("Options") or {}) for v in volumes}
        )

    def host_network(self, ref: str) -> bool:
        """Whether the network ``ref`` (a name, an ID or an ID's prefix, as the engine looks
        networks up) is the host's network."""
        if ref == "host":
            return True
        if any(n.get("Name") == ref for n in self.networks):
            return any(n.get("Name") == ref and n.get("Driver") == "host" for n in self.networks)
        return bool(ref) and any(
            n.get("Driver") == "host" and str(n.get("Id", "")).startswith(ref) for n in self.networks
        )


NO_FACTS = Facts()
