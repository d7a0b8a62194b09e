"""Bring the test bed up or down by hand: `python -m tests.testbed up|down|status`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .bed import CLI, Testbed, down, status
from .common import TestbedError
from .config import NODE_B_URL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.testbed", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start engines, swarm and registry; they stay until `down`")
    down_cmd = sub.add_parser("down", help="stop node B and the registry, delete the namespace")
    down_cmd.add_argument("--force", action="store_true", help="even while pytest sessions use it")
    down_cmd.add_argument(
        "--purge",
        action="store_true",
        help="also forget node B's data, the PKI and node A's test bed swarm",
    )
    sub.add_parser("status", help="print what runs, as JSON")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            start = time.monotonic()
            bed = Testbed(CLI)
            swarm = bed.swarm()
            reg = bed.registry()
            image = bed.registry_busybox_image()
            print(
                f"swarm: node A {swarm.node_a_id[:12]} ({swarm.addr_a}), "
                f"node B {swarm.node_b_id[:12]} ({swarm.addr_b}, {NODE_B_URL})"
            )
            print(f"registry: {reg.address} (CA {reg.ca}); busybox: {image}")
            print(f"up in {time.monotonic() - start:.1f}s")
        elif args.command == "down":
            for line in down(force=args.force, purge=args.purge) or ["nothing to stop"]:
                print(line)
        else:
            print(json.dumps(status(), indent=2))
    except TestbedError as exc:
        print(f"testbed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
