"""swarmdeck's test bed: real Docker engines, a real two-node swarm and a real registry.

Node A is the machine's own dockerd; node B is a second dockerd in the network namespace
`sdtb-nodeb` (hostname `nodeb`), joined to node A over a veth pair (100.77.13.1 <-> .2).
The registry (Debian's docker-registry) serves TLS on 100.77.13.1:5443 for both nodes.
The kernel here has no IPVS: services need `endpoint_mode="dnsrr"` and host-mode ports.

Use it through the pytest fixtures in tests/conftest.py (all session-scoped except
`swarm_cleanup`): `engine`, `node_b_engine`, `swarm`, `registry`, `busybox_image` (on node A),
`registry_busybox_image` (pullable by both nodes: use it for services), `swarm_cleanup`
(create services/networks through it, or register stacks; removed after the test). Or by
hand from the repo root: `python -m tests.testbed up|down [--purge]|status`.

Things to know when writing tests on it:
- The bed is shared by concurrent pytest sessions: name swarm objects with `unique_name`,
  publish host-mode ports you picked free, never leave or re-init the swarm.
- A test that stops node B (node loss) calls `testbed.swarm()` (fixture `testbed`)
  afterwards: it restarts node B and waits until both nodes are Ready again.
- Swarm tasks of a local-only image make each node try Docker Hub first; use images from
  the registry for services. Containers run with `init=True` stop at once on SIGTERM.
- Logs: /var/log/swarmdeck-testbed/; who started what: /run/swarmdeck-testbed/state.json.
"""

from .bed import Testbed, down, status
from .common import TestbedError
from .config import BUSYBOX_IMAGE, NODE_A_ADDR, NODE_B_ADDR, REGISTRY_ADDR
from .images import load_on_node_b, push_to_registry
from .registry import Registry
from .swarm import Swarm, SwarmCleanup, unique_name

__all__ = [
    "BUSYBOX_IMAGE",
    "NODE_A_ADDR",
    "NODE_B_ADDR",
    "REGISTRY_ADDR",
    "Registry",
    "Swarm",
    "SwarmCleanup",
    "Testbed",
    "TestbedError",
    "down",
    "load_on_node_b",
    "push_to_registry",
    "status",
    "unique_name",
]
