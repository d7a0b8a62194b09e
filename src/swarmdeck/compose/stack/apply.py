"""Carry out a plan with the API calls ``docker stack deploy`` makes, in its order.

Prune services, create networks, create (or relabel) secrets then configs, then create or
update services; when the engine refuses one, what this deploy did is taken back (``undo``)
and the refusal says what was undone. Just before the services are sent, each image the plan
pinned to a digest is asked for again (once per image, as the moby client asks when it
creates a service): an image that vanished from its registry since the plan is a failure
like the engine's refusals, not a service whose tasks can never start. The messages are the
CLI's (``Creating network x``, ``Updating service x (id: ...)``). Bodies go to the engine as
converted (the SDK's builders change the wire format, see notes §4), so raw JSON posts
through the SDK's API client are used.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import docker

from swarmdeck.compose.load import LoadResult
from swarmdeck.compose.stack import converge
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.compose.stack.plan import Plan, ServiceChange, fill_ids, make_plan, object_ids
from swarmdeck.compose.stack.undo import Undo
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineNotFound, EngineRefused, EngineUnreachable
from swarmdeck.engine.names import path as engine_path
from swarmdeck.engine.policy import ALLOW_ALL, WorkloadPolicy
from swarmdeck.engine.sdkapi import typed_api
from swarmdeck.errors import SwarmdeckError

Printer = Callable[[str], None]


@dataclass
class DeployOptions:
    namespace: str
    prune: bool = False
    resolve_image: str = "always"
    with_registry_auth: bool = False
    detach: bool = True
    plan_only: bool = False
    timeout: float = 300.0
    # What the stack's services may reach on their hosts (swarmdeck.engine.policy): the CLI's
    # user owns the engine anyway; the console passes the policy of the user's role.
    policy: WorkloadPolicy = ALLOW_ALL
    # Called with the plan before its first change: the console writes ``journal.intent``
    # down there, to take the deploy back if its process dies half-way.
    before_changes: Callable[[Plan], None] | None = None
    # Called once every change is made, before ``detach=False`` waits for the tasks: the CLI
    # drops its journal there (stopping the wait does not take a finished deploy back).
    after_changes: Callable[[], None] | None = None


@dataclass
class DeployReport:
    plan: Plan
    service_ids: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def unchanged_line(name: str, service_id: str) -> str:
    """What a deploy prints for a service it leaves as it is (the CLI's fast path replays it)."""
    return f"Unchanged service {name} (id: {service_id})"


def _post(
    client: docker.DockerClient,
    path: str,
    body: dict[str, Any],
    params: dict[str, Any] | None = None,
    auth: str | None = None,
) -> Any:
    """POST ``path`` (made with ``engine_path``: its parts are encoded) with a JSON body."""
    api = typed_api(client)
    headers = {"X-Registry-Auth": auth} if auth else {}
    response = api._post_json(api._url(path), data=body, params=params, headers=headers)
    return api._result(response, json=True) if response.content else None


def _send(
    client: docker.DockerClient,
    change: ServiceChange,
) -> tuple[Any, EngineError | None]:
    """Create or update one service: (the engine's answer, or the error)."""
    try:
        with doing(f"failed to {change.action} service {change.name}"):
            if change.action == "update":
                return _post(
                    client,
                    engine_path("/services/{}/update", change.service_id),
                    change.spec or {},
                    params={"version": change.version},
                    auth=change.auth_header,
                ), None
            return _post(client, "/services/create", change.spec or {}, auth=change.auth_header), None
    except EngineError as exc:
        return None, exc


def _outcome_unknown(error: EngineError) -> bool:
    """Whether a change that failed may have happened all the same: the engine went away
    (no answer, or a 5xx such as a cut gRPC call while it stops). A 4xx refusal is certain."""
    return isinstance(error, EngineUnreachable) or (isinstance(error, EngineRefused) and error.status >= 500)


@contextmanager
def _uncertain(undo: Undo, kind: str, name: str) -> Iterator[None]:
    """A creation whose outcome is unknown may have happened (``undo`` looks later)."""
    try:
        yield
    except EngineError as exc:
        if _outcome_unknown(exc):
            undo.uncertain_created.append((kind, name))
        raise


def _vanished(client: docker.DockerClient, image: str) -> str | None:
    """The registry's "not found" for ``image``, or None (there, or the registry cannot say
    now: then the nodes will ask it themselves, the plan's rule)."""
    try:
        with doing(f"asking the registry about {image}"):
            typed_api(client).inspect_distribution(image)
    except EngineNotFound as exc:
        return str(exc.explanation or "not found").strip()
    except EngineRefused:
        pass
    return None


def _check_images(client: docker.DockerClient, jobs: list[ServiceChange]) -> None:
    """Raise ``StackError`` when the registry no longer has an image the plan pinned (the
    images are asked for at the same time, once each)."""
    pinned = sorted(
        {
            change.spec["TaskTemplate"]["ContainerSpec"]["Image"]
            for change in jobs
            if change.query_registry and change.warning is None and change.spec is not None
        }
    )
    pinned = [image for image in pinned if "@" in image]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda image: _vanished(client, image), pinned))
    for image, answer in zip(pinned, answers, strict=True):
        if answer is not None:
            raise StackError(f"image {image} is no longer in its registry ({answer})")


def _apply(
    client: docker.DockerClient,
    plan: Plan,
    report: DeployReport,
    undo: Undo,
    out: Printer,
    err: Printer,
) -> None:
    """Networks, secrets and configs, then services, each written down in ``undo`` once made."""
    for name, body in plan.networks.items():
        out(f"Creating network {name}")
        with _uncertain(undo, "network", name), doing(f"failed to create network {name}"):
            made = _post(client, "/networks/create", {"Name": name, **body})
        undo.created.append(("network", name, made["Id"]))
    for item in plan.objects:
        obj, object_id = item.obj, item.existing_id
        spec = dict(obj.spec)
        if "Data" in spec:
            spec["Data"] = base64.b64encode(spec["Data"]).decode()
        with doing(f"failed to {item.action} {obj.kind} {obj.name}"):
            if object_id is None:
                out(f"Creating {obj.kind} {obj.name}")
                with _uncertain(undo, obj.kind, obj.name):
                    made = _post(client, f"/{obj.kind}s/create", spec)
                undo.created.append((obj.kind, obj.name, made["ID"]))
            else:
                api = typed_api(client)
                version = api._result(
                    api._get(api._url(engine_path(f"/{obj.kind}s/{{}}", object_id))), json=True
                )["Version"]
                _post(
                    client,
                    engine_path(f"/{obj.kind}s/{{}}/update", object_id),
                    spec,
                    params={"version": version["Index"]},
                )
    ids = object_ids(client) if plan.objects else None
    jobs = []
    for change in plan.services:
        assert change.spec is not None
        if change.action == "unchanged":
            out(unchanged_line(change.name, change.service_id))
            report.unchanged.append(change.name)
            report.service_ids.append(change.service_id)
            continue
        if ids is not None:
            fill_ids(change.spec, ids)
        if change.action == "update":
            out(f"Updating service {change.name} (id: {change.service_id})")
        else:
            out(f"Creating service {change.name}")
        jobs.append(change)
    _check_images(client, jobs)
    # One request per service, several at a time: the engine orders them itself.
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda c: _send(client, c), jobs))
    for change, (answer, error) in zip(jobs, answers, strict=True):
        if error is None and change.action == "update":
            undo.updated.append((change.name, change.service_id))
        elif error is None:
            undo.created.append(("service", change.name, answer["ID"]))
        elif _outcome_unknown(error) and change.action == "update":
            undo.uncertain_updated.append((change.name, change.service_id, change.old_spec or {}))
        elif _outcome_unknown(error):
            undo.uncertain_created.append(("service", change.name))
    for change, (answer, error) in zip(jobs, answers, strict=True):
        if error is not None:
            raise error
        if change.action == "update":
            for warning in (answer or {}).get("Warnings") or []:
                err(warning)
            if change.warning:
                err(change.warning)
            report.updated.append(change.name)
            report.service_ids.append(change.service_id)
        else:
            report.created.append(change.name)
            report.service_ids.append(answer["ID"])


def deploy(
    client: docker.DockerClient,
    loaded: LoadResult,
    options: DeployOptions,
    out: Printer = print,
    err: Printer = print,
) -> DeployReport:
    """Deploy (or with ``plan_only`` only plan) ``loaded`` as stack ``options.namespace``."""
    plan = make_plan(
        client,
        loaded,
        options.namespace,
        prune=options.prune,
        resolve_image=options.resolve_image,
        with_registry_auth=options.with_registry_auth,
        policy=options.policy,
    )
    report = DeployReport(plan)
    if options.plan_only:
        for line in plan.lines() or ["nothing to do"]:
            out(line)
        return report
    if options.before_changes is not None:
        options.before_changes(plan)
    for change in plan.prune:
        out(f"Removing service {change.name}")
        try:
            with doing(f"removing service {change.name}"):
                typed_api(client).remove_service(change.service_id)
        except EngineRefused as exc:
            err(f"Failed to remove service {change.name}: {exc.explanation or exc}")
    undo = Undo()
    try:
        _apply(client, plan, report, undo, out, err)
    except SwarmdeckError as exc:
        done, failed = undo.run(client)
        lines = [str(exc), "undone: " + (", ".join(done) or "nothing had been changed yet")]
        if failed:
            lines.append("NOT undone: " + "; ".join(failed))
        if plan.prune:
            lines.append("services --prune removed before the failure stay removed")
        raise StackError("\n".join(lines)) from exc
    if options.after_changes is not None:
        options.after_changes()
    if not options.detach:
        converge.wait(client, report.service_ids, options.timeout, out)
    return report
