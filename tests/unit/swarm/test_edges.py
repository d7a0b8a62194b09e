"""How the swarm layer's errors and reports reach the edges: the console's one status
mapping, and a stack removal's report in the console's and ``swarmdeck down``'s shapes."""

import pytest

from swarmdeck.console.errors import status_of
from swarmdeck.swarm.errors import AlreadyInSwarm, InvalidAction, NoSuchStack, NotInSwarm, NotManager, Refused
from swarmdeck.swarm.stacks import Removal


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotInSwarm("{engine} is not part of a swarm"), 409),
        (NotManager("{engine} is a swarm worker"), 409),
        (AlreadyInSwarm("{engine} is already in a swarm"), 409),
        (Refused("this is the swarm's only manager"), 409),
        (NoSuchStack("shop"), 404),
        (InvalidAction("unknown node action 'x'"), 400),
    ],
)
def test_the_console_maps_each_swarm_error_once(error, status):
    assert status_of(error) == status


def test_a_removal_reports_by_kind_and_line_by_line():
    removal = Removal(
        services=["shop_web"], secrets=["shop_key"], configs=["shop_conf"], networks=["shop_default"]
    )
    assert removal.by_kind() == {
        "services": ["shop_web"],
        "configs": ["shop_conf"],
        "secrets": ["shop_key"],
        "networks": ["shop_default"],
    }
    assert removal.lines() == [
        "service shop_web",
        "config shop_conf",
        "secret shop_key",
        "network shop_default",
    ]
    assert str(NoSuchStack("shop")).startswith("no stack shop on this swarm")
