"""Service keys that ``docker stack deploy`` forbids, ignores, or calls deprecated.

Only top-level keys of each service are looked at, on the raw data of each file (before
interpolation), with the CLI's lists and texts (docker/cli ``cli/compose/types``):

* forbidden keys refuse the files: ``compose file contains unsupported options:`` and
  one ``key: hint`` per key, sorted;
* unsupported keys give the warning ``Ignoring unsupported options: a, b``;
* deprecated keys give ``Ignoring deprecated options:`` and ``key: message`` paragraphs.
"""

from __future__ import annotations

from collections.abc import Iterable

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.located import LocDict

FORBIDDEN_HEADLINE = "compose file contains unsupported options:"

_RESOURCES_HINT = "Set resource limits using deploy.resources"
FORBIDDEN = {
    "extends": "Support for `extends` is not implemented yet.",
    "volume_driver": "Instead of setting the volume driver on the service, define a volume "
    "using the top-level `volumes` option and specify the driver there.",
    "volumes_from": "To share a volume between services, define it using the top-level "
    "`volumes` option and reference it from each service that shares it "
    "using the service-level `volumes` option.",
    "cpu_quota": _RESOURCES_HINT,
    "cpu_shares": _RESOURCES_HINT,
    "cpuset": _RESOURCES_HINT,
    "mem_limit": _RESOURCES_HINT,
    "memswap_limit": _RESOURCES_HINT,
}

UNSUPPORTED = (
    "build",
    "cgroupns_mode",
    "cgroup_parent",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "restart",
    "security_opt",
    "shm_size",
    "userns_mode",
)

DEPRECATED = {
    "container_name": "Setting the container name is not supported.",
    "expose": "Exposing ports is unnecessary - services on the same network can access "
    "each other's containers on any port.",
}


def _service_dicts(data: LocDict) -> Iterable[tuple[str, LocDict]]:
    services = data.get("services")
    if isinstance(services, LocDict):
        for name, service in services.items():
            if isinstance(service, LocDict):
                yield name, service


def forbidden_problems(data: LocDict) -> list[Problem]:
    """One problem per forbidden key, sorted by key then place."""
    found = [
        (key, Problem.at(service.key_locs.get(key), ["services", name, key], hint))
        for name, service in _service_dicts(data)
        for key, hint in FORBIDDEN.items()
        if key in service
    ]
    found.sort(key=lambda item: (item[0], item[1].sort_key()))
    return [problem for _, problem in found]


def property_warnings(files: Iterable[LocDict]) -> list[str]:
    """The CLI's "Ignoring unsupported/deprecated options" warnings for all files."""
    files = list(files)
    keys = {key for data in files for _, service in _service_dicts(data) for key in service}
    warnings = []
    unsupported = sorted(keys.intersection(UNSUPPORTED))
    if unsupported:
        warnings.append("Ignoring unsupported options: " + ", ".join(unsupported))
    deprecated = sorted(f"{key}: {DEPRECATED[key]}" for key in keys.intersection(DEPRECATED))
    if deprecated:
        warnings.append("Ignoring deprecated options:\n\n" + "\n\n".join(deprecated))
    return warnings
