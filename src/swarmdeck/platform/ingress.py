"""Running a stack where Swarm's load balancing cannot work (a kernel without IPVS).

Without IPVS neither the ingress routing mesh nor service VIPs work, so the stack is
rewritten, keeping its meaning:
- every service resolves by DNS round robin (``endpoint_mode: dnsrr``): its name then
  answers with its tasks' own addresses, so services still reach each other by name;
- every port published through the mesh is published instead by one HAProxy task per
  node (a ``global`` service, host-mode ports) that forwards TCP to the service's tasks,
  found by the engine's DNS (``tasks.<service>`` at 127.0.0.11) on the service's networks.
A request at any node's port still reaches replicas on every node. HAProxy's
``server-template`` with a ``resolvers`` section follows tasks as they move.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from swarmdeck.platform.errors import PlatformError

PROXY_SERVICE = "ingress-proxy"
PROXY_CONFIG_KEY = "ingress-proxy-cfg"
PROXY_CONFIG_TARGET = "/usr/local/etc/haproxy/haproxy.cfg"
# The most replicas one published service can be spread over behind the proxy.
MAX_BACKENDS = 32


@dataclass(frozen=True)
class Route:
    service: str
    published: int
    target: int


def mesh_routes(services: dict[str, Any]) -> list[Route]:
    """The ports that the stack publishes through the routing mesh (ingress mode)."""
    routes = []
    for name, service in services.items():
        for port in (service or {}).get("ports") or []:
            route = _ingress_route(name, port)
            if route:
                routes.append(route)
    published = [r.published for r in routes]
    duplicated = {p for p in published if published.count(p) > 1}
    if duplicated:
        raise PlatformError(f"port {sorted(duplicated)[0]} is published by two services")
    return routes


def _ingress_route(service: str, port: Any) -> Route | None:
    where = f"services.{service}.ports"
    if isinstance(port, dict):
        if port.get("mode", "ingress") != "ingress" or port.get("protocol", "tcp") != "tcp":
            return None
        if "published" not in port:
            return None
        return Route(service, int(port["published"]), int(port["target"]))
    text = str(port)
    spec, _, protocol = text.partition("/")
    if protocol and protocol != "tcp":
        return None
    parts = spec.split(":")
    if len(parts) == 1:
        return None  # no published port: nothing to route
    try:
        published, target = int(parts[-2]), int(parts[-1])
    except ValueError as exc:
        raise PlatformError(f"{where}: cannot route {text!r} (port ranges need the mesh)") from exc
    return Route(service, published, target)


def with_proxy_ingress(
    compose: dict[str, Any],
    stack: str,
    proxy_image: str,
) -> tuple[dict[str, Any], str]:
    """Return the compose file rewritten for proxy routing, and the HAProxy config text."""
    result = copy.deepcopy(compose)
    services: dict[str, Any] = result.get("services") or {}
    for service in services.values():
        service.setdefault("deploy", {})["endpoint_mode"] = "dnsrr"
    routes = mesh_routes(services)
    if not routes:
        return result, ""
    if PROXY_SERVICE in services:
        raise PlatformError(f"services.{PROXY_SERVICE}: the name is reserved for the ingress proxy")
    networks: list[str] = []
    for name in dict.fromkeys(r.service for r in routes):
        service = services[name]
        service["ports"] = [p for p in service.get("ports") or [] if _ingress_route(name, p) is None]
        if not service["ports"]:
            del service["ports"]
        for network in _service_networks(service):
            if network not in networks:
                networks.append(network)
    config = haproxy_config(stack, routes)
    digest = hashlib.sha256(config.encode()).hexdigest()[:12]
    services[PROXY_SERVICE] = {
        "image": proxy_image,
        "networks": networks,
        "ports": [
            {"target": r.published, "published": r.published, "protocol": "tcp", "mode": "host"}
            for r in routes
        ],
        "configs": [{"source": PROXY_CONFIG_KEY, "target": PROXY_CONFIG_TARGET}],
        "deploy": {"mode": "global", "endpoint_mode": "dnsrr", "restart_policy": {"condition": "any"}},
    }
    # Swarm configs cannot change: a new text gets a new name (hence the digest).
    result.setdefault("configs", {})[PROXY_CONFIG_KEY] = {
        "file": "haproxy.cfg",
        "name": f"{stack}_ingress-proxy-{digest}",
    }
    result["version"] = _at_least(str(result.get("version", "3")), (3, 5))  # `name:` needs 3.5
    return result, config


def _service_networks(service: dict[str, Any]) -> list[str]:
    networks = service.get("networks")
    if not networks:
        return ["default"]
    return list(networks)


def _at_least(version: str, minimum: tuple[int, int]) -> str:
    major, _, minor = version.partition(".")
    try:
        current = (int(major), int(minor or 0))
    except ValueError as exc:
        raise PlatformError(f"version: {version!r} is not a compose file version") from exc
    return version if current >= minimum else f"{minimum[0]}.{minimum[1]}"


def haproxy_config(stack: str, routes: list[Route]) -> str:
    lines = [
        "# Generated by swarmdeck: ingress for a swarm without IPVS.",
        "global",
        # HAProxy needs about two descriptors per connection; 4096 stays under the engine's
        # default nofile limit (a higher maxconn makes it exit at start).
        "  maxconn 4096",
        "defaults",
        "  mode tcp",
        # A node that is lost takes its tasks' addresses with it, and a connection to them
        # hangs rather than fails: connecting gives up after 1 s and is retried on another
        # task, and the health check takes the lost ones out of rotation within about 2 s.
        "  timeout connect 1s",
        "  timeout client 1m",
        "  timeout server 1m",
        "  retries 2",
        "  option redispatch 1",
        "  default-server init-addr none check inter 1s fall 2 rise 1",
        "resolvers docker",
        "  nameserver engine 127.0.0.11:53",
        "  accepted_payload_size 8192",
        "  hold valid 2s",
        "  hold other 2s",
        "  hold refused 2s",
        "  hold nx 2s",
        "  hold timeout 2s",
        "  hold obsolete 2s",
        "  timeout resolve 1s",
        "  timeout retry 1s",
    ]
    for route in routes:
        backend = f"{route.service}_{route.target}"
        lines += [
            f"frontend port_{route.published}",
            f"  bind :{route.published}",
            f"  default_backend {backend}",
            f"backend {backend}",
            "  balance roundrobin",
            f"  server-template task {MAX_BACKENDS} tasks.{stack}_{route.service}:{route.target}"
            " resolvers docker resolve-prefer ipv4",
        ]
    return "\n".join(lines) + "\n"
