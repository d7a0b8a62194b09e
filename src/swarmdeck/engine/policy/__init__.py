"""The workload policy: what a workload may reach on the host it runs on.

Checked on the Engine API's own request bodies, just before they are sent: a container
create (``/containers/create``: ``HostConfig``, ``NetworkingConfig``, ``Labels``), a service
spec (``/services/create`` and ``/update``: ``TaskTemplate.ContainerSpec``,
``TaskTemplate.Networks``), a volume create and a network create. Every way swarmdeck makes
a workload ends in one of these bodies — the console's container and service forms, a
service update or rollback (the spec the service will have afterwards), the compose stack
converter (the same bodies as ``docker stack deploy``), the compose project back end — so
the rules live here once, and what is checked is exactly what is sent: a key that some input
path forgets to map cannot slip past, and keys the engine ignores need no rule. The input
layers only translate a violation back into their own words (``swarmdeck.compose.policy``:
file, line and compose key; the console's forms: their field).

Two kinds of policy:

* ``ALLOW_ALL`` — admins, and the CLI (its user owns the engine's socket anyway);
* ``restricted(allowed_host_paths)`` — operators and every other non-admin.

The restricted policy refuses, each with one message naming the key:

* host paths: bind mounts (``Binds`` with an absolute source, ``Mounts`` of type ``bind``)
  unless under a host path an admin allowed; a ``volume`` whose driver options bind or mount
  something of the host (the local driver's ``type: none, o: bind, device: /etc``, a block
  device, overlay layers), also when that volume already exists on the engine (an admin may
  have made it); options of other volume drivers (plugins: what they do with a path is not
  known here); named pipes and mount types other than volume and tmpfs;
* the engine itself, in any form: a bind of its socket, of its state and run directories,
  or of a directory above them (``/``, ``/run``, ``/var``), or of anything named ``*.sock``
  — never allowed, whatever the list of allowed host paths says;
* the host's namespaces: network (``host``, also by the host network's ID, or a service
  attached to the network ``host``), PID, IPC, UTS, user and cgroup namespaces, and another
  container's (``container:NAME``), ``VolumesFrom``;
* privileges: ``Privileged``, added capabilities, devices (also device requests and cgroup
  rules), security options other than ``no-new-privileges`` (seccomp, AppArmor, SELinux
  labels), unmasked ``/proc`` paths, another OCI runtime, a host cgroup parent, an init
  binary from the host, a negative OOM score (the host's processes would be killed first),
  a plugin or network-attachment task instead of a container;
* sysctls that are not namespaced (only the IPC ``kernel.*`` ones, ``fs.mqueue.*``,
  ``net.*`` and the UTS names are per container: the engine refuses the rest, refused here
  first with a clearer message).

An unknown ``HostConfig`` or ``ContainerSpec`` key with a value is refused too: a newer
engine's new power must be looked at before operators get it.

Every policy of the console (admins' too) also checks the labels that decide what the
console's pages think a stack is (``com.docker.stack.namespace``,
``com.docker.compose.project``): their values follow the stack name grammar, so no label can
steer a page's links (``../users/x``). The CLI's ``ALLOW_ALL`` does not: what the CLI makes
is named by its own user.

Host paths are compared after textual normalisation (``..``, ``.``, repeated and trailing
slashes): ``/srv/data`` allows ``/srv/data`` and ``/srv/data/x``, not ``/srv/database``.
Symlinks are not resolved — the path lives on the engine's host, maybe another machine — so
an allowed directory must be one operators cannot plant a symlink into from elsewhere (a
container that binds an allowed directory read-write could). Volumes that already exist are
looked up on the engine the request goes to; for a swarm service that means the manager's
own volumes, not those of other nodes.
"""

from swarmdeck.engine.labels import NAMESPACE_LABELS
from swarmdeck.engine.policy.describe import describe_container, describe_service
from swarmdeck.engine.policy.facts import NO_FACTS, Facts
from swarmdeck.engine.policy.paths import ENGINE_PATHS, normalise_host_path, touches_engine, within
from swarmdeck.engine.policy.rules import ALLOW_ALL, STACK_NAME, WorkloadPolicy, restricted
from swarmdeck.engine.policy.violations import Path, Violation, WorkloadRefused, format_path, require

__all__ = [
    "ALLOW_ALL",
    "ENGINE_PATHS",
    "NAMESPACE_LABELS",
    "NO_FACTS",
    "STACK_NAME",
    "Path",
    "Facts",
    "Violation",
    "WorkloadPolicy",
    "WorkloadRefused",
    "describe_container",
    "describe_service",
    "format_path",
    "normalise_host_path",
    "require",
    "restricted",
    "touches_engine",
    "within",
]
