"""The docker CLI's node output: ``node ls`` (its table, ``-q`` and ``--format json`` rows,
with the current node marked) and ``node inspect --pretty`` (``swarmdeck node``).

``rows`` reads the engine (a manager's node list, this engine's node ID and the swarm's
trust root); the rest are pure functions of the engine's inspect answers, so the columns,
their order and their words are tested without an engine.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from typing_extensions import TypedDict

from swarmdeck.engine.errormap import doing
from swarmdeck.swarm.errors import InvalidAction
from swarmdeck.swarm.membership import manager_read, require_manager
from swarmdeck.swarm.stack_tables import bytes_size, natural_key, table

if TYPE_CHECKING:
    from swarmdeck.engine.light import ReadClient


Inspect = dict[str, Any]
NODE_FILTERS = ("id", "label", "node.label", "membership", "name", "role")
LS_HEADER = ["ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"]


class NodeRow(TypedDict):
    """One node as `docker node ls --format json` prints it (its keys, in its order)."""

    Availability: str
    EngineVersion: str
    Hostname: str
    ID: str
    ManagerStatus: str
    Self: bool
    Status: str
    TLSStatus: str


FIELDS = tuple(NodeRow.__annotations__)  # what a ``--format`` template may name


def capitalized(word: str) -> str:
    """The docker CLI's ``PrettyPrint`` of a word: its first letter upper case."""
    return word[:1].upper() + word[1:]


def manager_status(attrs: Inspect) -> str:
    """``Leader``, or the manager's reachability (``Reachable``), or empty for a worker."""
    manager = attrs.get("ManagerStatus")
    if not manager:
        return ""
    return "Leader" if manager.get("Leader") else capitalized(str(manager.get("Reachability", "")))


def node_row(attrs: Inspect, self_id: str, trust_root: str) -> NodeRow:
    description = attrs.get("Description") or {}
    own_root = (description.get("TLSInfo") or {}).get("TrustRoot", "")
    return NodeRow(
        Availability=capitalized(str(attrs["Spec"].get("Availability", ""))),
        EngineVersion=str((description.get("Engine") or {}).get("EngineVersion", "")),
        Hostname=str(description.get("Hostname", "")),
        ID=str(attrs["ID"]),
        ManagerStatus=manager_status(attrs),
        Self=attrs["ID"] == self_id,
        Status=capitalized(str((attrs.get("Status") or {}).get("State", ""))),
        TLSStatus="Ready" if own_root == trust_root else "Needs Rotation",
    )


def sorted_rows(rows: list[NodeRow]) -> list[NodeRow]:
    """By hostname, naturally (``node2`` before ``node10``), as the CLI sorts them."""
    return sorted(rows, key=lambda r: (natural_key(r["Hostname"]), r["ID"]))


def ls_lines(rows: list[NodeRow]) -> list[str]:
    """The `docker node ls` table: the current node's ID followed by `` *``."""
    cells = [
        [
            f"{r['ID']} {'*' if r['Self'] else ' '}",
            r["Hostname"],
            r["Status"],
            r["Availability"],
            r["ManagerStatus"],
            r["EngineVersion"],
        ]
        for r in rows
    ]
    return table([LS_HEADER, *cells])


def node_filters(items: list[str]) -> dict[str, list[str]]:
    """``KEY=VALUE`` filters as the engine takes them; a key it does not know is refused."""
    filters: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidAction(f"bad format of filter (expected name=value): {item}")
        if key not in NODE_FILTERS:
            raise InvalidAction(f"invalid filter '{key}'")
        filters.setdefault(key, []).append(value)
    return filters


def rows(client: ReadClient, filters: list[str] | None = None) -> list[NodeRow]:
    """`docker node ls [--filter KEY=VALUE]...`, sorted as the CLI sorts them."""
    wanted = node_filters(filters or [])
    found = manager_read(client, "listing nodes", lambda: client.api.nodes(filters=wanted or None))
    self_id = require_manager(client).node_id
    with doing("reading the swarm"):
        trust_root = str((client.api.inspect_swarm().get("TLSInfo") or {}).get("TrustRoot", ""))
    return sorted_rows([node_row(n, self_id, trust_root) for n in found])


# --- node inspect --pretty --------------------------------------------------------------
def go_time(stamp: str) -> str:
    """An engine timestamp (RFC 3339, UTC) as the CLI prints a time: Go's ``Time.String``
    in lower case (``2026-12-07 13:00:28.014782675 +0000 utc``)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?Z", stamp)
    if not match:
        return stamp.lower()
    day, clock, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    return f"{day} {clock}{'.' + fraction if fraction else ''} +0000 utc"


def _labels(labels: dict[str, str]) -> list[str]:
    return [f" - {k}={v}" if v else f" - {k}" for k, v in sorted(labels.items())]


def pretty(attrs: Inspect) -> str:
    """`docker node inspect --pretty` of one node (no newline at the end)."""
    spec, status = attrs["Spec"], attrs.get("Status") or {}
    description = attrs.get("Description") or {}
    engine = description.get("Engine") or {}
    lines = [f"ID:\t\t\t{attrs['ID']}"]
    if spec.get("Name"):
        lines.append(f"Name:\t\t\t{spec['Name']}")
    if spec.get("Labels"):
        lines += ["Labels:", *_labels(spec["Labels"])]
    lines += [
        f"Hostname:              \t{description.get('Hostname', '')}",
        f"Joined at:             \t{go_time(str(attrs.get('CreatedAt', '')))}",
        "Status:",
        f" State:\t\t\t{capitalized(str(status.get('State', '')))}",
    ]
    if status.get("Message"):
        lines.append(f" Message:              \t{status['Message']}")
    lines.append(f" Availability:         \t{capitalized(str(spec.get('Availability', '')))}")
    if status.get("Addr"):
        lines.append(f" Address:\t\t{status['Addr']}")
    manager = attrs.get("ManagerStatus")
    if manager:
        lines += [
            "Manager Status:",
            f" Address:\t\t{manager.get('Addr', '')}",
            f" Raft Status:\t\t{capitalized(str(manager.get('Reachability', '')))}",
            f" Leader:\t\t{'Yes' if manager.get('Leader') else 'No'}",
        ]
    platform, resources = description.get("Platform") or {}, description.get("Resources") or {}
    lines += [
        "Platform:",
        f" Operating System:\t{platform.get('OS', '')}",
        f" Architecture:\t\t{platform.get('Architecture', '')}",
        "Resources:",
        f" CPUs:\t\t\t{int(resources.get('NanoCPUs', 0)) // 1_000_000_000}",
        f" Memory:\t\t{bytes_size(float(resources.get('MemoryBytes', 0)))}",
    ]
    plugins: dict[str, list[str]] = {}
    for plugin in engine.get("Plugins") or []:
        plugins.setdefault(plugin["Type"], []).append(plugin["Name"])
    if plugins:
        lines.append("Plugins:")
        lines += [f" {kind}:\t\t{', '.join(sorted(names))}" for kind, names in sorted(plugins.items())]
    lines.append(f"Engine Version:\t\t{engine.get('EngineVersion', '')}")
    if engine.get("Labels"):
        lines += ["Engine Labels:", *_labels(engine["Labels"])]
    tls = description.get("TLSInfo") or {}
    if tls:
        lines += [
            "TLS Info:",
            " TrustRoot:",
            str(tls.get("TrustRoot", "")),
            f" Issuer Subject:\t{tls.get('CertIssuerSubject', '')}",
            f" Issuer Public Key:\t{tls.get('CertIssuerPublicKey', '')}",
        ]
    return "\n".join(lines)
