"""The fallback advertise address is one of this host's own, on its default route."""

import json
import subprocess

from swarmdeck.engine.swarm import default_route_address


def test_default_route_address_belongs_to_the_default_route_interface():
    routes = json.loads(
        subprocess.run(
            ["ip", "-j", "route", "show", "default"], capture_output=True, text=True, check=True
        ).stdout
    )
    address = default_route_address()
    if not routes:
        assert address is None
        return
    links = json.loads(
        subprocess.run(
            ["ip", "-j", "-4", "addr", "show", "dev", routes[0]["dev"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    own = {i["local"] for link in links for i in link["addr_info"]}
    assert address in own
