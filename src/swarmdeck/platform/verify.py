"""Checking the report's promise: any node's port reaches replicas on every node, and the
counter counts each answered request exactly once."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from swarmdeck.platform.errors import PlatformError


@dataclass
class Verification:
    requests: int
    first: int
    last: int
    hostnames_by_node: dict[str, set[str]] = field(default_factory=dict)

    @property
    def hostnames(self) -> set[str]:
        return set().union(*self.hostnames_by_node.values()) if self.hostnames_by_node else set()


def verify_counter(
    endpoints: list[tuple[str, int]], requests_per_node: int, timeout: float = 5.0
) -> Verification:
    """Send requests on fresh connections to every address; check the visit numbers.

    Fresh connections, because the mesh and the proxy both balance connections, not requests.
    The numbers seen must be distinct and form one unbroken range as long as the number of
    requests: the counter grew by exactly that many (nobody else was counting meanwhile).
    """
    visits: list[int] = []
    by_node: dict[str, set[str]] = {}
    for address, port in endpoints:
        url = f"http://{address}:{port}/"
        node = f"{address}:{port}"
        by_node[node] = set()
        for _ in range(requests_per_node):
            try:
                answer = httpx.get(
                    url, headers={"Accept": "application/json", "Connection": "close"}, timeout=timeout
                )
                body = answer.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise PlatformError(f"GET {url} failed: {exc}") from exc
            if answer.status_code != 200 or body.get("visits") is None:
                raise PlatformError(
                    f"GET {url} answered {answer.status_code} without a visit number: "
                    f"{body.get('error') or body}"
                )
            visits.append(int(body["visits"]))
            by_node[node].add(str(body["hostname"]))
    total = len(visits)
    if len(set(visits)) != total or max(visits) - min(visits) + 1 != total:
        raise PlatformError(
            f"the counter is inconsistent: {total} requests got numbers {min(visits)}..{max(visits)} "
            f"with {total - len(set(visits))} repeated"
        )
    return Verification(total, min(visits), max(visits), by_node)
