"""Every name, address and path of the test bed, in one place.

Two kinds of paths: `/var/lib/...` survives between runs on the same machine (node B's data
root with its swarm membership, the registry's PKI), `/run/...` holds what belongs to
running processes (sockets, pid files, the shared state file and its lock).
"""

from pathlib import Path

# --- network namespace of node B and the veth pair joining it to the host -------------
NETNS = "sdtb-nodeb"
NETNS_PATH = Path("/var/run/netns") / NETNS
VETH_HOST = "sdtb-veth0"
VETH_NODE = "sdtb-veth1"
PREFIX_LEN = 24
NODE_A_ADDR = "100.77.13.1"  # host end of the veth: node A's swarm address
NODE_B_ADDR = "100.77.13.2"  # node end of the veth, inside the namespace

# --- engines ----------------------------------------------------------------------
ENGINE_A_URL = "unix:///var/run/docker.sock"
ENGINE_A_PIDFILE = Path("/var/run/docker.pid")
NODE_B_HOSTNAME = "nodeb"
NODE_B_RUN = Path("/run/sdtb-nodeb")
NODE_B_SOCKET = NODE_B_RUN / "docker.sock"
NODE_B_URL = f"unix://{NODE_B_SOCKET}"
NODE_B_PIDFILE = NODE_B_RUN / "docker.pid"
NODE_B_EXEC_ROOT = NODE_B_RUN / "exec"
NODE_B_DATA_ROOT = Path("/var/lib/swarmdeck-testbed/nodeb")
NODE_B_CONTAINERD_NS = "sdtb-nodeb"
NODE_B_CONTAINERD_PLUGINS_NS = "sdtb-nodeb-plugins"

# --- swarm ------------------------------------------------------------------------
SWARM_PORT = 2377
NODE_LABEL = "testbed"  # node label key; values below tell the two nodes apart
NODE_A_LABEL = "nodea"
NODE_B_LABEL = "nodeb"

# --- registry ---------------------------------------------------------------------
REGISTRY_PORT = 5443
REGISTRY_ADDR = f"{NODE_A_ADDR}:{REGISTRY_PORT}"
PKI_DIR = Path("/var/lib/swarmdeck-testbed/pki")
DOCKER_CERTS_DIR = Path("/etc/docker/certs.d") / REGISTRY_ADDR
REGISTRY_CA = DOCKER_CERTS_DIR / "ca.crt"  # both engines read this folder

# --- images -----------------------------------------------------------------------
BUSYBOX_BINARY = Path("/bin/busybox")  # from Debian's busybox-static
BUSYBOX_IMAGE = "swarmdeck-testbed/busybox:1"

# --- bookkeeping ------------------------------------------------------------------
LOG_DIR = Path("/var/log/swarmdeck-testbed")
RUN_DIR = Path("/run/swarmdeck-testbed")
STATE_FILE = RUN_DIR / "state.json"
LOCK_FILE = RUN_DIR / "lock"
# Label put on every swarm object the fixtures create, so leftovers can be found.
OBJECT_LABEL = "swarmdeck.testbed"

# --- timeouts (seconds) -----------------------------------------------------------
ENGINE_START_TIMEOUT = 60
NODE_READY_TIMEOUT = 60
REGISTRY_START_TIMEOUT = 15
REMOVE_TIMEOUT = 60
