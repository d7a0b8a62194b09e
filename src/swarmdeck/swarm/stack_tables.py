"""The docker CLI's swarm tables: ``stack ls``, ``stack services`` and ``stack ps``, and the
same rows for ``service ls`` and ``service ps``, with its filters, column widths, sort orders,
truncations and messages (``swarmdeck stack``, ``swarmdeck service``).

A row is a dict keyed by the docker CLI's ``--format json`` field names, in its column order
(``SERVICE_COLUMNS``, ``TASK_COLUMNS``): the table and the JSON lines are two views of it.

Stacks are found by the label ``com.docker.stack.namespace`` only (``stacks``), so stacks
deployed by the docker CLI and by swarmdeck are the same thing to both tools.

Every function here only reads, through ``engine.light.ReadClient``: the CLI passes the light
client (its reads never import the docker SDK), the console the SDK's; one home either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from swarmdeck.engine.labels import STACK_NAMESPACE as LABEL_NAMESPACE
from swarmdeck.engine.labels import stack_filter as _filter
from swarmdeck.swarm.errors import InvalidAction, NoSuchStack, SwarmError
from swarmdeck.swarm.membership import manager_read
from swarmdeck.swarm.nodes import raw_nodes
from swarmdeck.swarm.services import raw_service

if TYPE_CHECKING:
    from swarmdeck.engine.light import ReadClient


def natural_key(text: str) -> list[Any]:
    """Natural sort (``web2`` before ``web10``), as the CLI's ``vbom.ml/util/sortorder``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def table(rows: list[list[str]]) -> list[str]:
    """Go ``tabwriter`` (minwidth 10, padding 3) as the CLI's formatter uses it."""
    widths = [max(10, max(len(r[i]) for r in rows) + 3) for i in range(len(rows[0]))]
    return [
        "".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)) + row[-1]
        for row in rows
    ]


def stacks(client: ReadClient) -> list[tuple[str, int]]:
    """(name, number of services) of every stack, natural order."""
    counts: dict[str, int] = {}
    for service in client.api.services(filters={"label": LABEL_NAMESPACE}):
        name = (service["Spec"].get("Labels") or {}).get(LABEL_NAMESPACE, "")
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda item: natural_key(item[0]))


def ls_lines(client: ReadClient) -> list[str]:
    return table([["NAME", "SERVICES"]] + [[name, str(n)] for name, n in stacks(client)])


def _mode(spec: dict[str, Any]) -> str:
    mode = spec.get("Mode", {})
    for key, text in (
        ("Replicated", "replicated"),
        ("Global", "global"),
        ("ReplicatedJob", "replicated job"),
        ("GlobalJob", "global job"),
    ):
        if key in mode:
            return text
    return ""


def _ports(service: dict[str, Any]) -> str:
    ports = (service.get("Endpoint") or {}).get("Ports") or []
    return ", ".join(
        f"*:{p.get('PublishedPort', 0)}->{p.get('TargetPort', 0)}/{p.get('Protocol', 'tcp')}"
        for p in ports
        if p.get("PublishMode") != "host" or p.get("PublishedPort")
    )


def _image(image: str) -> str:
    return image.split("@", 1)[0]


# (header, ``--format json`` key) of each column, in the docker CLI's order
SERVICE_COLUMNS = (
    ("ID", "ID"),
    ("NAME", "Name"),
    ("MODE", "Mode"),
    ("REPLICAS", "Replicas"),
    ("IMAGE", "Image"),
    ("PORTS", "Ports"),
)
TASK_COLUMNS = (
    ("ID", "ID"),
    ("NAME", "Name"),
    ("IMAGE", "Image"),
    ("NODE", "Node"),
    ("DESIRED STATE", "DesiredState"),
    ("CURRENT STATE", "CurrentState"),
    ("ERROR", "Error"),
    ("PORTS", "Ports"),
)
_MAX_ERROR = 30  # the CLI's maxErrLength


def rows_table(columns: Iterable[tuple[str, str]], rows: list[dict[str, str]]) -> list[str]:
    """``rows`` as the CLI's table with ``columns`` (header, key)."""
    columns = list(columns)
    return table([[header for header, _ in columns]] + [[row[key] for _, key in columns] for row in rows])


def service_rows(services: list[dict[str, Any]], trunc: bool = True) -> list[dict[str, str]]:
    """``service ls`` rows of ``services`` (listed with ``status=True``), by natural name order."""
    rows = []
    for service in sorted(services, key=lambda s: natural_key(s["Spec"]["Name"])):
        status = service.get("ServiceStatus") or {}
        image = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        rows.append(
            {
                "ID": service["ID"][:12] if trunc else service["ID"],
                "Name": service["Spec"]["Name"],
                "Mode": _mode(service["Spec"]),
                "Replicas": f"{status.get('RunningTasks', 0)}/{status.get('DesiredTasks', 0)}",
                "Image": _image(image) if trunc else image,
                "Ports": _ports(service),
            }
        )
    return rows


def services_lines(client: ReadClient, namespace: str) -> list[str]:
    found = client.api.services(filters=_filter(namespace), status=True)
    if not found:
        raise NoSuchStack(namespace)
    return rows_table(SERVICE_COLUMNS, service_rows(found))


def bytes_size(size: float) -> str:
    """Binary units with four significant digits (``23.54GiB``), as go-units' BytesSize."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    i = 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:.4g}{units[i]}"


def human_duration(seconds: float) -> str:
    """Go's ``units.HumanDuration``, as the docker CLI words an age ("About a minute")."""
    minutes, hours = int(seconds / 60), int(seconds / 3600 + 0.5)
    if seconds < 1:
        return "Less than a second"
    if int(seconds) == 1:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    if hours == 1:
        return "About an hour"
    for limit, size, unit in (
        (48, 1, "hours"),
        (24 * 14, 24, "days"),
        (24 * 60, 24 * 7, "weeks"),
        (24 * 730, 24 * 30, "months"),
    ):
        if hours < limit:
            return f"{hours // size} {unit}"
    return f"{hours // (24 * 365)} years"


def ago(stamp: str) -> str:
    """An engine time stamp as the docker CLI's tables show it ("2 minutes ago"); "" if none."""
    try:
        then = datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return ""
    return human_duration((datetime.now(UTC) - then).total_seconds()) + " ago"


def _task_ports(task: dict[str, Any]) -> str:
    ports = ((task.get("Status") or {}).get("PortStatus") or {}).get("Ports") or []
    return ", ".join(
        f"*:{p.get('PublishedPort', 0)}->{p.get('TargetPort', 0)}/{p.get('Protocol', 'tcp')}" for p in ports
    )


def task_rows(
    tasks: list[dict[str, Any]], names: dict[str, str], nodes: dict[str, str], trunc: bool = True
) -> list[dict[str, str]]:
    """``service ps`` / ``stack ps`` rows (``names``: service ID → name, ``nodes``: node ID →
    hostname): by task name (service and slot), the newest first, an older task of a slot
    indented `` \\_ `` under the newer one, as the CLI shows history."""
    named = []
    for task in tasks:
        service = names.get(task["ServiceID"], task["ServiceID"])
        slot = task.get("Slot")
        named.append((f"{service}.{slot}" if slot else f"{service}.{task.get('NodeID', '')}", task))
    named.sort(key=lambda item: item[1].get("CreatedAt", ""), reverse=True)
    named.sort(key=lambda item: natural_key(item[0]))
    rows, previous = [], None
    for name, task in named:
        status = task.get("Status") or {}
        state = status.get("State", "")
        error = status.get("Err", "")
        if trunc and len(error) > _MAX_ERROR:
            error = error[: _MAX_ERROR - 1] + "…"
        image = task["Spec"]["ContainerSpec"]["Image"]
        rows.append(
            {
                "ID": task["ID"][:12] if trunc else task["ID"],
                "Name": f" \\_ {name}" if name == previous else name,
                "Image": _image(image) if trunc else image,
                "Node": nodes.get(task.get("NodeID", ""), ""),
                "DesiredState": task.get("DesiredState", "").capitalize(),
                "CurrentState": f"{state.capitalize()} {ago(status.get('Timestamp', '')).lower()}",
                "Error": f'"{error}"' if error else "",
                "Ports": _task_ports(task),
            }
        )
        previous = name
    return rows


def ps_lines(client: ReadClient, namespace: str) -> list[str]:
    tasks = client.api.tasks(filters=_filter(namespace))
    if not tasks:
        raise SwarmError(f"nothing found in stack: {namespace}")
    names = {s["ID"]: s["Spec"]["Name"] for s in client.api.services(filters=_filter(namespace))}
    nodes = {n["ID"]: n["Description"]["Hostname"] for n in client.api.nodes()}
    return rows_table(TASK_COLUMNS, task_rows(tasks, names, nodes))


def _filters(pairs: list[str]) -> dict[str, list[str]]:
    """``KEY=VALUE`` filters (repeatable; one key's values are alternatives), as the CLI's."""
    found: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidAction(f"bad format of filter {pair!r} (expected name=value)")
        found.setdefault(key.strip().lower(), []).append(value)
    return found


def service_ls_rows(client: ReadClient, filters: list[str], trunc: bool = True) -> list[dict[str, str]]:
    """`docker service ls [--filter K=V]...` rows (filters: id, label, mode, name)."""
    found = manager_read(
        client, "listing services", lambda: client.api.services(filters=_filters(filters), status=True)
    )
    return service_rows(found, trunc)


def service_ps_rows(
    client: ReadClient, refs: list[str], filters: list[str], trunc: bool = True
) -> list[dict[str, str]]:
    """`docker service ps SERVICE... [--filter K=V]...` rows (filters: id, name, node,
    desired-state, label); a node filter takes a hostname or an ID, as the CLI's."""
    wanted = _filters(filters)
    names = {}
    for ref in refs:
        service = raw_service(client, ref)
        names[service["ID"]] = service["Spec"]["Name"]
    nodes = {n["ID"]: (n.get("Description") or {}).get("Hostname", "") for n in raw_nodes(client)}
    if "node" in wanted:
        by_host = {host: node_id for node_id, host in nodes.items()}
        wanted["node"] = [by_host.get(value, value) for value in wanted["node"]]
    wanted["service"] = list(names)
    tasks = manager_read(client, "listing tasks", lambda: client.api.tasks(filters=wanted))
    return task_rows(tasks, names, nodes, trunc)
