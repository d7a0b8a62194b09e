"""``compose up``: bring one engine to the plan, recreating only what changed.

Order, as Compose v2: check everything that can be checked first (the workload policy,
external networks and volumes exist, every image is there or can be pulled) — a failure there creates nothing;
then networks, volumes, and the services in ``depends_on`` order. Per service, a container
whose ``config-hash`` or image label differs from the plan is recreated, a stopped one is
started, missing numbers are created and extra numbers (scale down) are removed.

All or nothing (the engine is the judge: a host port taken since the plan, a container name
taken, an image gone): a container being replaced is only stopped (its replacement runs under
a temporary name) until every service is up; scale-down leftovers are only stopped too. Then
the reversible renames: each old container steps aside under a backup name and its
replacement takes its name. If any step up to there fails, this run's containers (and the
anonymous volumes they made), networks and volumes are removed — a volume that came back
from "create" with labels other than ours existed already and is never removed — renamed
containers get their names back, stopped ones are started and started ones stopped again:
the project's containers, networks and volumes are the ones it had, with the same IDs and
configuration. One ``ProjectError`` says what failed and lists what was undone. Only then
are the old and extra containers removed (``cleanup``): that cannot be taken back, so it
comes last, and a failure there says what was left behind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import docker
from docker.models.containers import Container
from docker.types import IPAMConfig, IPAMPool

from swarmdeck.compose.project import names
from swarmdeck.compose.project import policy as project_policy
from swarmdeck.compose.project.containers import container_spec
from swarmdeck.compose.project.engine import Event, Progress, engine_call, number_of, project_containers
from swarmdeck.compose.project.errors import ProjectError
from swarmdeck.compose.project.plan import NetworkPlan, ProjectPlan, ServicePlan, VolumePlan
from swarmdeck.engine.client import is_local
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineImageNotFound, EngineNotFound
from swarmdeck.engine.policy import ALLOW_ALL, NO_FACTS, Facts, WorkloadPolicy
from swarmdeck.engine.reference import split_tag
from swarmdeck.errors import SwarmdeckError

Journal = Callable[[dict[str, Any]], None]
_UNDONE_VERBS = {"removed": "remove", "renamed": "rename", "started": "start", "stopped": "stop"}


class _Up:
    def __init__(
        self,
        client: docker.DockerClient,
        plan: ProjectPlan,
        progress: Progress | None,
        remove_orphans: bool,
        policy: WorkloadPolicy = ALLOW_ALL,
        journal: Journal | None = None,
    ) -> None:
        self.client = client
        self.journal = journal
        # what the run is about to change, handed to ``journal`` before each change (see resume)
        self.intent: dict[str, Any] = {"project": plan.name, "create": [], "stopped": [], "started": []}
        self.intent |= {"renamed": [], "remove": None}
        self.plan = plan
        self.policy = policy
        self.progress = progress
        self.remove_orphans = remove_orphans
        self.events: list[Event] = []
        self.images: dict[str, str] = {}
        # what this run did, to finish or to undo
        self.created_networks: list[Any] = []
        self.created_volumes: list[Any] = []
        self.created_containers: list[tuple[str, str]] = []  # (id, name it is listed by)
        self.replacements: dict[str, Container] = {}  # created container id -> the old one
        self.stopped: list[Container] = []  # running before, stopped by this run
        self.started: list[Container] = []  # stopped before, started by this run
        self.replaced: list[tuple[Container, str, str]] = []  # (old, new id, final name)
        self.renamed: list[tuple[str, str]] = []  # (container id, the name it had)
        self.extras: list[Container] = []  # scale-down leftovers, removed by ``cleanup``
        self.before: dict[str, dict[str, str]] | None = None  # what carried the project's label

    def note(self, entry: str, item: Any) -> None:
        """Write down, before doing it, a change the run is about to make."""
        if entry == "remove":
            self.intent["remove"] = item
        elif entry:
            self.intent[entry].append(item)
        if self.journal is not None:
            self.journal(self.intent)

    def emit(self, kind: str, name: str, action: str) -> None:
        event = Event(kind, name, action)
        self.events.append(event)
        if self.progress is not None:
            self.progress(event)

    # -- checks: nothing is created before these pass ----------------------------------------

    def check(self) -> None:
        if self.policy.restricted or self.policy.labels:
            facts = Facts.of(self.client) if self.policy.restricted else NO_FACTS
            project_policy.check(self.policy, self.plan, self.client.api, facts)
        for net in self.plan.networks.values():
            if net.external and not self._network_exists(net.name):
                raise ProjectError(f"network {net.name} declared as external, but could not be found")
        for vol in self.plan.volumes.values():
            if vol.external and not self._volume_exists(vol.name):
                raise ProjectError(f'external volume "{vol.name}" not found')
        if is_local(self.client):
            for service in self.plan.services:
                for mount in service.files:
                    if not os.path.isfile(mount.source):
                        raise ProjectError(
                            f"service {service.name}: file {mount.source} of a "
                            f"secret or config does not exist"
                        )
        for service in self.plan.services:
            if service.image not in self.images:
                self.images[service.image] = self._image_id(service)

    def _volume_exists(self, name: str) -> bool:
        try:
            engine_call(f"look up volume {name}", lambda: self.client.volumes.get(name))
        except ProjectError as exc:
            if isinstance(exc.__cause__, EngineNotFound):
                return False
            raise
        return True

    def _network_exists(self, name: str) -> bool:
        """By exact name (a lookup by name also matches IDs that start with it)."""
        found = engine_call(f"look up network {name}", lambda: self.client.networks.list(names=[name]))
        return any(net.name == name for net in found)

    def _image_id(self, service: ServicePlan) -> str:
        ref = service.image
        try:
            return str(engine_call(f"look up image {ref}", lambda: self.client.images.get(ref)).id)
        except ProjectError as exc:
            if not isinstance(exc.__cause__, EngineImageNotFound):
                raise
        repo, tag = split_tag(ref)  # a valid reference: the loader checked every image
        try:
            with doing("pull"):
                self.client.api.pull(repo, tag=tag)
                return str(self.client.images.get(ref).id)
        except EngineError as exc:
            raise ProjectError(
                f"service {service.name}: image {ref} is not on the engine and could not be pulled: {exc}"
            ) from exc

    # -- apply ------------------------------------------------------------------------------

    def apply(self) -> None:
        self.before = self._labelled()
        self.intent["before"] = {kind: sorted(found) for kind, found in self.before.items()}
        self.note("", None)  # the journal exists before the first change
        for net in self.plan.networks.values():
            if not net.external:
                self._network(net)
        for vol in self.plan.volumes.values():
            if not vol.external:
                self._volume(vol)
        existing: dict[str, list[Container]] = {}
        for container in project_containers(self.client, self.plan.name):
            existing.setdefault(container.labels.get(names.SERVICE, ""), []).append(container)
        for service in self.plan.services:
            self._service(service, existing.pop(service.name, []))
        for orphans in existing.values():  # services no longer in the files
            if self.remove_orphans:
                self.extras += orphans
            else:
                for container in orphans:
                    self.emit(
                        "Container", names.listed_name(container), "Orphaned (--remove-orphans removes it)"
                    )
        self._swap_names()

    def _network(self, net: NetworkPlan) -> None:
        if self._network_exists(net.name):
            return
        d = net.definition
        ipam = None
        if d.ipam is not None:
            pools = [IPAMPool(subnet=p.subnet) for p in d.ipam.config or []]
            ipam = IPAMConfig(driver=d.ipam.driver or "default", pool_configs=pools)
        labels = {
            **(d.labels or {}),
            names.PROJECT: self.plan.name,
            names.NETWORK: net.key,
            names.VERSION: names.tool_version(),
        }
        self.note("create", ["network", net.name])
        created = engine_call(
            f"create network {net.name}",
            lambda: self.client.networks.create(
                net.name,
                driver=d.driver or "bridge",
                options=d.driver_opts,
                ipam=ipam,
                internal=bool(d.internal),
                attachable=bool(d.attachable),
                labels=labels,
                check_duplicate=True,
            ),
        )
        self.created_networks.append(created)
        self.emit("Network", net.name, "Created")

    def _volume(self, vol: VolumePlan) -> None:
        if self._volume_exists(vol.name):
            return
        d = vol.definition
        labels = {
            **(d.labels or {}),
            names.PROJECT: self.plan.name,
            names.VOLUME: vol.key,
            names.VERSION: names.tool_version(),
        }
        self.note("create", ["volume", vol.name])
        created = engine_call(
            f"create volume {vol.name}",
            lambda: self.client.volumes.create(
                vol.name, driver=d.driver or "local", driver_opts=d.driver_opts or {}, labels=labels
            ),
        )
        if (created.attrs.get("Labels") or {}) != labels:
            return  # made by someone else since the check: not this run's to remove
        self.created_volumes.append(created)
        self.emit("Volume", vol.name, "Created")

    def _service(self, service: ServicePlan, current: list[Container]) -> None:
        image_id = self.images[service.image]
        keep = current[: service.replicas]
        self.extras += current[service.replicas :]
        for container in keep:
            if (
                container.labels.get(names.CONFIG_HASH) != service.config_hash
                or container.labels.get(names.IMAGE) != image_id
            ):
                self._recreate(service, container, image_id)
            elif container.status != "running":
                self.note("started", container.id)
                engine_call(f"start container {container.name}", container.start)
                self.started.append(container)
                self.emit("Container", names.listed_name(container), "Started")
            else:
                self.emit("Container", names.listed_name(container), "Running")
        following = max((number_of(c) for c in current), default=0) + 1
        for number in range(following, following + service.replicas - len(keep)):
            self._create(service, number, image_id)

    def _create(
        self, service: ServicePlan, number: int, image_id: str, replacing: Container | None = None
    ) -> str:
        spec = container_spec(self.plan, service, number, image_id, self.client.api)
        name = spec.name
        if replacing is not None:
            name = f"{replacing.short_id}_{spec.name}"  # renamed once the old one is removed
            self._inherit_anonymous_volumes(spec.create["host_config"], replacing)
        self.note("create", ["container", name])
        created = engine_call(
            f"create container {spec.name}",
            lambda: self.client.api.create_container(name=name, **spec.create),
        )
        container_id = str(created["Id"])
        self.created_containers.append((container_id, spec.name))
        if replacing is not None:
            self.replacements[container_id] = replacing
        for network, endpoint in spec.connect:
            engine_call(
                f"connect container {spec.name} to network {network}",
                partial(self.client.api.connect_container_to_network, container_id, network, **endpoint),
            )
        engine_call(f"start container {spec.name}", lambda: self.client.api.start(container_id))
        if replacing is None:
            self.emit("Container", spec.name, "Started")
        return container_id

    def _inherit_anonymous_volumes(self, host_config: dict[str, Any], old: Container) -> None:
        """A replacement keeps the old container's anonymous volumes, as Compose does."""
        named = {vol.name for vol in self.plan.volumes.values()}
        previous = {
            m.get("Destination"): m.get("Name")
            for m in old.attrs.get("Mounts", [])
            if m.get("Type") == "volume" and m.get("Name") not in named
        }
        for mount in host_config.get("Mounts") or []:
            if (
                mount.get("Type") == "volume"
                and not mount.get("Source")
                and previous.get(mount.get("Target"))
            ):
                mount["Source"] = previous[mount["Target"]]

    def _recreate(self, service: ServicePlan, old: Container, image_id: str) -> None:
        if old.status in ("running", "restarting"):
            self.note("stopped", old.id)
            engine_call(f"stop container {old.name}", old.stop)
            self.stopped.append(old)
        new_id = self._create(service, number_of(old), image_id, replacing=old)
        self.replaced.append((old, new_id, names.listed_name(old)))
        self.emit("Container", names.listed_name(old), "Recreated")

    def _labelled(self) -> dict[str, dict[str, str]]:
        """The containers and networks (by ID) and volumes (by name) that carry the project's
        label, each with the name it is shown by."""
        api = self.client.api
        label = {"label": f"{names.PROJECT}={self.plan.name}"}
        containers = engine_call("list containers", lambda: api.containers(all=True, filters=label))
        networks = engine_call("list networks", lambda: api.networks(filters=label))
        volumes = engine_call("list volumes", lambda: api.volumes(filters=label)).get("Volumes") or []
        return {
            "container": {
                c["Id"]: (c.get("Names") or ["/" + c["Id"][:12]])[0].lstrip("/") for c in containers
            },
            "network": {n["Id"]: n["Name"] for n in networks},
            "volume": {v["Name"]: v["Name"] for v in volumes},
        }

    def _strays(self) -> dict[str, list[tuple[str, str]]]:
        """What carries the project's label now, did not before, and this run did not write
        down: made by a request whose answer never came (Ctrl+C in the middle of it)."""
        if self.before is None:
            return {}
        try:
            now = self._labelled()
        except ProjectError:
            return {}
        known = {
            "container": {c for c, _ in self.created_containers},
            "network": {n.id for n in self.created_networks},
            "volume": {v.name for v in self.created_volumes},
        }
        return {
            kind: [
                (key, now[kind][key]) for key in sorted(now[kind].keys() - self.before[kind] - known[kind])
            ]
            for kind in now
        }

    def _swap_names(self) -> None:
        """The last reversible steps: extras stop, old containers step aside, replacements
        take their names."""
        for container in self.extras:
            if container.status in ("running", "restarting"):
                self.note("stopped", container.id)
                engine_call(f"stop container {container.name}", container.stop)
                self.stopped.append(container)
        for old, new_id, name in self.replaced:
            backup, old_id = f"{old.short_id}_replaced_{name}", str(old.id)
            self.note("renamed", [old_id, name])
            engine_call(f"rename container {name}", partial(self.client.api.rename, old_id, backup))
            self.renamed.append((old_id, name))
            engine_call(f"rename container {name}", partial(self.client.api.rename, new_id, name))

    def cleanup(self) -> None:
        """Remove the replaced and extra containers (cannot be undone: after every change)."""
        left: list[str] = []
        going = [old for old, _, _ in self.replaced] + self.extras
        self.note("remove", [[c.id, names.listed_name(c)] for c in going])
        for container in going:
            try:
                engine_call(f"remove container {container.name}", partial(container.remove, force=True))
            except ProjectError as exc:
                left.append(str(exc))
                continue
            if container in self.extras:
                self.emit("Container", names.listed_name(container), "Removed")
        if left:
            raise ProjectError("the project is up, but old containers were left behind: " + "; ".join(left))

    # -- undo -------------------------------------------------------------------------------

    def rollback(self) -> tuple[list[str], list[str]]:
        """Undo this run, newest first: (what was undone, what could not be) as sentences."""
        done: list[str] = []
        failures: list[str] = []

        def attempt(what: str, call: Callable[[], Any], tries: int = 3) -> None:
            verb, _, rest = what.partition(" ")  # "started x again" -> "start x"
            action = f"{_UNDONE_VERBS[verb]} {rest.removesuffix(' again').removesuffix(' back')}"
            try:
                with doing(action):
                    call()
                done.append(what)
            except EngineNotFound:
                done.append(what)  # gone already
            except EngineError as exc:
                if tries > 1:  # a loaded engine may time out ("did not receive an exit event")
                    time.sleep(1.0)
                    attempt(what, call, tries - 1)
                else:
                    failures.append(str(exc))

        for container_id, name in reversed(self.created_containers):
            # a replacement shares the old container's anonymous volumes: only its own go
            old = self.replacements.get(container_id)
            own = self._own_anonymous_volumes(container_id, old) if old is not None else []
            attempt(
                f"removed container {name} ({container_id[:12]})",
                partial(self.client.api.remove_container, container_id, force=True, v=old is None),
            )
            for volume in own:
                attempt(f"removed volume {volume[:12]}", partial(self.client.api.remove_volume, volume))
        strays = self._strays()
        for container_id, name in strays.get("container", []):
            attempt(
                f"removed container {name}",
                partial(self.client.api.remove_container, container_id, force=True, v=True),
            )
        for container_id, name in reversed(self.renamed):
            attempt(f"renamed container {name} back", partial(self.client.api.rename, container_id, name))
        for container in self.stopped:
            attempt(f"started container {container.name} again", container.start)
        for container in self.started:
            attempt(f"stopped container {container.name} again", container.stop)
        for net in reversed(self.created_networks):
            attempt(f"removed network {net.name}", net.remove)
        for vol in reversed(self.created_volumes):
            attempt(f"removed volume {vol.name}", partial(vol.remove, force=True))
        for network_id, name in strays.get("network", []):
            attempt(f"removed network {name}", partial(self.client.api.remove_network, network_id))
        for volume, _ in strays.get("volume", []):
            attempt(f"removed volume {volume}", partial(self.client.api.remove_volume, volume, force=True))
        return done, failures

    def _own_anonymous_volumes(self, container_id: str, old: Container) -> list[str]:
        """The anonymous volumes replacement ``container_id`` made that ``old`` does not use."""
        try:
            with doing(f"inspect container {container_id[:12]}"):
                mounts = self.client.api.inspect_container(container_id).get("Mounts") or []
        except EngineError:
            return []
        named = {vol.name for vol in self.plan.volumes.values()}
        kept = {m.get("Name") for m in old.attrs.get("Mounts", [])}
        return [
            m["Name"]
            for m in mounts
            if m.get("Type") == "volume" and m.get("Name") not in named | kept and m.get("Name")
        ]


def up(
    client: docker.DockerClient,
    plan: ProjectPlan,
    progress: Progress | None = None,
    remove_orphans: bool = False,
    policy: WorkloadPolicy = ALLOW_ALL,
    journal: Journal | None = None,
) -> list[Event]:
    """Converge the engine to ``plan``; on failure undo this run and raise ProjectError.

    Containers of services that are no longer in the files are reported as orphaned, or
    removed with ``remove_orphans``. ``policy`` (swarmdeck.engine.policy) is checked first:
    what it refuses is a ``ComposeError`` at the compose keys, and nothing is created.
    ``journal`` is called with what the run is about to change before each change (see
    ``resume``: what a run killed before it could undo itself left).
    """
    run = _Up(client, plan, progress, remove_orphans, policy, journal)
    run.check()
    try:
        run.apply()
    except BaseException as exc:  # an engine refusal, Ctrl+C, anything: undo, then say so
        done, failures = run.rollback()
        interrupted = isinstance(exc, KeyboardInterrupt)
        lines = ["interrupted" if interrupted else str(exc) or type(exc).__name__]
        lines.append("undone: " + (", ".join(done) or "nothing had been changed yet"))
        if failures:
            lines.append("NOT undone: " + "; ".join(failures))
        if not (interrupted or isinstance(exc, SwarmdeckError)):
            raise
        raise ProjectError("\n".join(lines)) from None
    run.cleanup()
    return run.events
