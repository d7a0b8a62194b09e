"""A service whose secrets or configs are listed in another order is the same service: the
docker CLI's order is not stable for one config mounted twice, and a take-over must not
update the service for it."""

from __future__ import annotations

from swarmdeck.compose.stack.specdiff import changes, normalise


def _spec(configs: list[dict[str, object]]) -> dict[str, object]:
    return {"Name": "web", "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Configs": configs}}}


def test_the_order_of_config_references_is_no_change():
    one = {
        "ConfigID": "x1",
        "ConfigName": "app",
        "File": {"Name": "/etc/a.conf", "UID": "0", "GID": "0", "Mode": 292},
    }
    two = {
        "ConfigID": "x1",
        "ConfigName": "app",
        "File": {"Name": "app", "UID": "0", "GID": "0", "Mode": 292},
    }
    assert changes(normalise(_spec([one, two]), {}), normalise(_spec([two, one]), {})) == []
    other = {**two, "File": {**two["File"], "Mode": 256}}  # a real change still counts
    assert changes(normalise(_spec([one, other]), {}), normalise(_spec([two, one]), {})) != []
