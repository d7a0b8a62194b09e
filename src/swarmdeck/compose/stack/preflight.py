"""What the engine would refuse part-way through a deploy, found before the first change.

The plan gathers every such problem (ingress ports here; host-mode ports in ``hostports``;
names taken outside the stack and missing external objects in ``collisions``; images the
registry does not know, in ``plan``) and ``refuse`` raises them as one ``ComposeError``,
each at its compose key, so that ``--plan`` shows them all and ``deploy`` changes nothing.

The engine checks a published ingress port only when the service that publishes it is
created or updated, so ``docker stack deploy`` of a stack whose third service publishes a
port another service holds creates the first two and then fails. Every ingress port the
stack's services publish is checked here against those of every other service on the swarm
(and of the stack's other services), and each conflict is reported at its service's
``ports`` key, in the engine's words, before anything is created.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from swarmdeck.compose.errors import ComposeError, Problem
from swarmdeck.compose.models import Project

HEADLINE = "the deploy would fail part-way (nothing was changed):"
Port = tuple[int, str]


def _ingress_ports(spec: dict[str, Any]) -> list[Port]:
    ports = (spec.get("EndpointSpec") or {}).get("Ports") or []
    return [
        (int(p["PublishedPort"]), str(p.get("Protocol") or "tcp"))
        for p in ports
        if p.get("PublishedPort") and (p.get("PublishMode") or "ingress") == "ingress"
    ]


def refuse(problems: list[Problem]) -> None:
    """Raise one ``ComposeError`` listing ``problems`` in file order, if there are any."""
    if problems:
        raise ComposeError(sorted(dict.fromkeys(problems), key=Problem.sort_key), HEADLINE)


def port_problems(
    project: Project,
    specs: dict[str, dict[str, Any]],
    services: Iterable[dict[str, Any]],
    replaced: Iterable[str] = (),
) -> list[Problem]:
    """A problem for each ingress port of ``specs`` (compose key → service spec)
    that a service of ``services`` (the swarm's) holds, unless the deploy updates or removes
    that service (``replaced``: names), or that an earlier service of the stack publishes."""
    going = {spec["Name"] for spec in specs.values()} | set(replaced)
    holders: dict[Port, str] = {}
    for other in services:
        name = other["Spec"]["Name"]
        if name not in going:
            for taken in _ingress_ports(other["Spec"]):
                holders[taken] = name
    problems = []
    for key, spec in specs.items():
        for port, protocol in _ingress_ports(spec):
            holder = holders.setdefault((port, protocol), spec["Name"])
            if holder != spec["Name"]:
                problems.append(
                    Problem.at(
                        project.services[key].key_loc("ports"),
                        ["services", key, "ports"],
                        f"port '{port}' ({protocol}) is already in use by service '{holder}' "
                        "as an ingress port",
                    )
                )
    return problems
