"""Node B's network namespace and the veth pair that joins it to the host.

Namespaces and veth pairs survive between runs; everything here checks before it changes
so it can run on a clean machine, on a bed that is already up, or on half of one.
"""

from __future__ import annotations

from .common import TestbedError, run
from .config import NETNS, NETNS_PATH, NODE_A_ADDR, NODE_B_ADDR, PREFIX_LEN, VETH_HOST, VETH_NODE


def _ip(*args: str, check: bool = True) -> str:
    return run(["ip", *args], check=check).stdout


def _netns_usable() -> bool:
    """The namespace file exists and still is a namespace (a stale file after a reboot is not)."""
    return NETNS_PATH.exists() and run(["ip", "-n", NETNS, "link", "show", "lo"], check=False).returncode == 0


def _peer_in_netns() -> bool:
    return run(["ip", "-n", NETNS, "link", "show", VETH_NODE], check=False).returncode == 0


def _host_end_exists() -> bool:
    return run(["ip", "link", "show", VETH_HOST], check=False).returncode == 0


def is_up() -> bool:
    """True when the namespace, both veth ends and their addresses are in place and up."""
    if not _netns_usable() or not _host_end_exists():
        return False
    host = _ip("-br", "addr", "show", VETH_HOST, check=False)
    node = _ip("-n", NETNS, "-br", "addr", "show", VETH_NODE, check=False)
    return (
        f"{NODE_A_ADDR}/{PREFIX_LEN}" in host
        and f"{NODE_B_ADDR}/{PREFIX_LEN}" in node
        and " UP " in f" {host} "
        and " UP " in f" {node} "
    )


def ensure() -> None:
    """Create or repair the namespace and the veth pair; idempotent."""
    if is_up():
        return
    if NETNS_PATH.exists() and not _netns_usable():
        _ip("netns", "del", NETNS, check=False)
        NETNS_PATH.unlink(missing_ok=True)
    if not NETNS_PATH.exists():
        _ip("netns", "add", NETNS)
    if _host_end_exists() and not _peer_in_netns():
        _ip("link", "del", VETH_HOST)  # its peer went elsewhere: start the pair again
    if not _host_end_exists():
        _ip("link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NODE)
        _ip("link", "set", VETH_NODE, "netns", NETNS)
    _ip("addr", "replace", f"{NODE_A_ADDR}/{PREFIX_LEN}", "dev", VETH_HOST)
    _ip("link", "set", VETH_HOST, "up")
    _ip("-n", NETNS, "addr", "replace", f"{NODE_B_ADDR}/{PREFIX_LEN}", "dev", VETH_NODE)
    _ip("-n", NETNS, "link", "set", VETH_NODE, "up")
    _ip("-n", NETNS, "link", "set", "lo", "up")
    if not is_up():
        raise TestbedError(
            f"network namespace {NETNS} was set up but is not usable:\n"
            + _ip("-n", NETNS, "addr", check=False)
        )


def delete() -> None:
    """Delete the namespace; the veth pair goes with it."""
    if NETNS_PATH.exists():
        _ip("netns", "del", NETNS, check=False)
    if _host_end_exists():
        _ip("link", "del", VETH_HOST, check=False)
