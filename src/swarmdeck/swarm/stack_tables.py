"""The docker CLI's stack tables: ``stack ls``, ``stack services`` and ``stack ps``, with its
filters, column widths, sort orders and messages (``swarmdeck stack``).

Stacks are found by the label ``com.docker.stack.namespace`` only (``stacks``), so stacks
deployed by the docker CLI and by swarmdeck are the same thing to both tools.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import docker

from swarmdeck.engine.labels import STACK_NAMESPACE as LABEL_NAMESPACE
from swarmdeck.engine.labels import stack_filter as _filter
from swarmdeck.swarm.errors import NoSuchStack, SwarmError


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


def stacks(client: docker.DockerClient) -> list[tuple[str, int]]:
    """(name, number of services) of every stack, natural order."""
    counts: dict[str, int] = {}
    for service in client.api.services(filters={"label": LABEL_NAMESPACE}):
        name = (service["Spec"].get("Labels") or {}).get(LABEL_NAMESPACE, "")
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda item: natural_key(item[0]))


def ls_lines(client: docker.DockerClient) -> list[str]:
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


def services_lines(client: docker.DockerClient, namespace: str) -> list[str]:
    found = client.api.services(filters=_filter(namespace), status=True)
    if not found:
        raise NoSuchStack(namespace)
    rows = [["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"]]
    for service in sorted(found, key=lambda s: natural_key(s["Spec"]["Name"])):
        status = service.get("ServiceStatus") or {}
        rows.append(
            [
                service["ID"][:12],
                service["Spec"]["Name"],
                _mode(service["Spec"]),
                f"{status.get('RunningTasks', 0)}/{status.get('DesiredTasks', 0)}",
                _image(service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]),
                _ports(service),
            ]
        )
    return table(rows)


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


def ps_lines(client: docker.DockerClient, namespace: str) -> list[str]:
    tasks = client.api.tasks(filters=_filter(namespace))
    if not tasks:
        raise SwarmError(f"nothing found in stack: {namespace}")
    names = {s["ID"]: s["Spec"]["Name"] for s in client.api.services(filters=_filter(namespace))}
    nodes = {n["ID"]: n["Description"]["Hostname"] for n in client.api.nodes()}
    rows = [["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"]]
    tasks.sort(
        key=lambda t: (names.get(t["ServiceID"], ""), t.get("Slot", 0), t["Status"].get("Timestamp", "")),
        reverse=False,
    )
    for task in tasks:
        service = names.get(task["ServiceID"], task["ServiceID"])
        name = f"{service}.{task['Slot']}" if task.get("Slot") else f"{service}.{task.get('NodeID', '')}"
        state = task["Status"]["State"]
        rows.append(
            [
                task["ID"][:12],
                name,
                _image(task["Spec"]["ContainerSpec"]["Image"]),
                nodes.get(task.get("NodeID", ""), ""),
                task["DesiredState"].capitalize(),
                f"{state.capitalize()} {ago(task['Status'].get('Timestamp', ''))}",
                task["Status"].get("Err", ""),
                "",
            ]
        )
    return table(rows)
