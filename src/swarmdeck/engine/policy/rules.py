"""The workload policy itself: ``WorkloadPolicy`` with one entry point per Engine API request
body (container, service, volume, network), the stack-label rule every console policy
applies, and the two policies (``ALLOW_ALL``, ``restricted``). The restricted rules live by
what they look at: ``containers``, ``services``, ``mounts`` and ``namespaces`` (the
package's docstring says what is refused and why it is checked there)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from swarmdeck.engine.labels import NAMESPACE_LABELS
from swarmdeck.engine.policy import mounts
from swarmdeck.engine.policy.containers import container_rules
from swarmdeck.engine.policy.facts import NO_FACTS, Facts
from swarmdeck.engine.policy.paths import normalise_host_path
from swarmdeck.engine.policy.services import service_rules
from swarmdeck.engine.policy.violations import Path, Violation

STACK_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class WorkloadPolicy:
    """``restricted``: the non-admin rules (package docstring); ``allowed_host_paths``: the
    normalised host paths an admin allowed binds under; ``labels``: check the stack labels
    (every workload made through the console)."""

    restricted: bool = False
    allowed_host_paths: tuple[str, ...] = ()
    labels: bool = False

    def container(self, body: Mapping[str, Any], facts: Facts = NO_FACTS) -> list[Violation]:
        """A ``/containers/create`` body (``Labels``, ``HostConfig``, ``NetworkingConfig``)."""
        found = self._labels(body.get("Labels"), ("Labels",))
        host = body.get("HostConfig") or {}
        for index, mount in enumerate(host.get("Mounts") or []):
            found += self._labels(
                ((mount.get("VolumeOptions") or {}).get("Labels")),
                ("HostConfig", "Mounts", index, "VolumeOptions", "Labels"),
            )
        if self.restricted:
            found += container_rules(body, facts, self.allowed_host_paths)
        return found

    def service(self, spec: Mapping[str, Any], facts: Facts = NO_FACTS) -> list[Violation]:
        """A service spec (``/services/create``, or the spec an update leaves)."""
        found = self._labels(spec.get("Labels"), ("Labels",))
        container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
        base: Path = ("TaskTemplate", "ContainerSpec")
        found += self._labels(container.get("Labels"), (*base, "Labels"))
        for index, mount in enumerate(container.get("Mounts") or []):
            found += self._labels(
                ((mount.get("VolumeOptions") or {}).get("Labels")),
                (*base, "Mounts", index, "VolumeOptions", "Labels"),
            )
        if self.restricted:
            found += service_rules(spec, facts, self.allowed_host_paths)
        return found

    def volume(self, body: Mapping[str, Any]) -> list[Violation]:
        """A ``/volumes/create`` body (``Name``, ``Driver``, ``DriverOpts``, ``Labels``)."""
        found = self._labels(body.get("Labels"), ("Labels",))
        if self.restricted:
            found += mounts.volume_driver(
                body.get("Driver") or "",
                body.get("DriverOpts") or {},
                ("DriverOpts",),
                f"volume {body.get('Name', '')}",
                self.allowed_host_paths,
            )
        return found

    def network(self, body: Mapping[str, Any]) -> list[Violation]:
        """A ``/networks/create`` body: only its labels matter (a network reaches no host
        path; the host network itself cannot be made twice)."""
        return self._labels(body.get("Labels"), ("Labels",))

    def host_path(self, source: str, path: Path, what: str = "binds") -> list[Violation]:
        """A host path given to a workload: allowed only under an allowed host path, and
        never the engine's socket or state."""
        return mounts.host_path(source, path, self.allowed_host_paths, what)

    def _labels(self, labels: Mapping[str, str] | None, path: Path) -> list[Violation]:
        if not self.labels or not labels:
            return []
        return [
            Violation(
                (*path, key),
                f"{labels[key]!r} is not a stack name (letters, digits, '_', "
                "'.' or '-', starting with a letter or digit, at most 63): "
                "the console's pages would take it for a path",
            )
            for key in NAMESPACE_LABELS
            if key in labels and not STACK_NAME.match(str(labels[key]))
        ]


ALLOW_ALL = WorkloadPolicy()


def restricted(allowed_host_paths: Iterable[str] = (), labels: bool = True) -> WorkloadPolicy:
    """The policy of non-admins, binding only under ``allowed_host_paths`` (normalised)."""
    return WorkloadPolicy(True, tuple(normalise_host_path(p) for p in allowed_host_paths), labels)
