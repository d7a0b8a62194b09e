"""``stack ls``, ``services``, ``ps`` and ``rm``, with the docker CLI's filters and messages.

Stacks are found by the label ``com.docker.stack.namespace`` only, so stacks deployed by
the docker CLI and by swarmdeck are the same thing to both tools.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import docker
import docker.errors

from swarmdeck.compose.stack.convert import LABEL_NAMESPACE
from swarmdeck.compose.stack.errors import StackError

Printer = Callable[[str], None]


def _filter(namespace: str) -> dict[str, str]:
    return {"label": f"{LABEL_NAMESPACE}={namespace}"}


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
        raise LookupError(f"Nothing found in stack: {namespace}")
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


def _ago(stamp: str) -> str:
    try:
        then = datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return ""
    seconds = int((datetime.now(UTC) - then).total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "Less than a second ago"


def ps_lines(client: docker.DockerClient, namespace: str) -> list[str]:
    tasks = client.api.tasks(filters=_filter(namespace))
    if not tasks:
        raise StackError(f"nothing found in stack: {namespace}")
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
                f"{state.capitalize()} {_ago(task['Status'].get('Timestamp', ''))}",
                task["Status"].get("Err", ""),
                "",
            ]
        )
    return table(rows)


def remove(
    client: docker.DockerClient,
    namespace: str,
    out: Printer,
    err: Printer,
    detach: bool = True,
    timeout: float = 120.0,
) -> None:
    """``docker stack rm``: services (by name), secrets, configs, networks; not volumes."""
    labels = _filter(namespace)
    services = sorted(client.api.services(filters=labels), key=lambda s: s["Spec"]["Name"])
    secrets = client.api.secrets(filters=labels)
    configs = client.api.configs(filters=labels)
    networks = client.api.networks(filters=labels)
    if not (services or secrets or configs or networks):
        raise LookupError(f"Nothing found in stack: {namespace}")
    failed = False
    for service in services:
        out(f"Removing service {service['Spec']['Name']}")
        try:
            client.api.remove_service(service["ID"])
        except docker.errors.APIError as exc:
            err(f"Failed to remove service {service['ID']}: {exc.explanation or exc}")
            failed = True
    # A removed service lets go of its secrets, configs and networks only once its tasks
    # are gone (the engine keeps it pending deletion till then): retry while "in use".
    deadline = time.monotonic() + timeout
    for kind, items, action in (
        ("secret", secrets, client.api.remove_secret),
        ("config", configs, client.api.remove_config),
        ("network", networks, client.api.remove_network),
    ):
        for item in items:
            name = item["Name"] if kind == "network" else item["Spec"]["Name"]
            out(f"Removing {kind} {name}")
            key = "Id" if kind == "network" else "ID"
            error = _remove_retrying(partial(action, item[key]), deadline)
            if error is not None:
                err(f"Failed to remove {kind} {name}: {error}")
                failed = True
    if failed:
        raise StackError(f"failed to remove some resources from stack: {namespace}")
    if not detach:
        _wait_tasks_gone(client, namespace, timeout, out)


def _remove_retrying(action: Callable[[], Any], deadline: float) -> str | None:
    """None once removed (or already gone), else the engine's last refusal."""
    while True:
        try:
            action()
            return None
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            message = str(exc.explanation or exc)
            if "not found" in message:  # removed meanwhile
                return None
            if "in use" not in message or time.monotonic() > deadline:
                return message
            time.sleep(0.3)


def _wait_tasks_gone(client: docker.DockerClient, namespace: str, timeout: float, out: Printer) -> None:
    out("Waiting for resources to be removed...")
    deadline = time.monotonic() + timeout
    while client.api.tasks(filters=_filter(namespace)):
        if time.monotonic() > deadline:
            raise StackError(f"timed out after {timeout:.0f} s waiting for the tasks of {namespace} to go")
        time.sleep(0.5)
