"""The `node` and `swarm` groups: every command says what it does with an example, and
loading them loads neither the swarm layer nor the engine client (start-up stays fast)."""

import subprocess
import sys

import pytest

from swarmdeck.cli.node_cmds import node_app
from swarmdeck.cli.swarm_cmds import swarm_app


@pytest.mark.parametrize("group", [node_app, swarm_app], ids=["node", "swarm"])
def test_every_command_has_a_one_line_help_with_an_example(group):
    commands = [c for c in group.registered_commands if not c.hidden]
    assert commands
    for command in commands:
        text = command.help or (command.callback.__doc__ or "")
        assert text.strip() and "Example: swarmdeck " in text, command.name


def test_loading_the_groups_loads_no_swarm_layer_nor_engine_client():
    code = (
        "import sys, swarmdeck.cli.node_cmds, swarmdeck.cli.swarm_cmds;"
        "print(sorted(m for m in sys.modules if m.startswith(('swarmdeck.swarm', 'swarmdeck.engine.client',"
        " 'swarmdeck.console', 'pydantic'))))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == "[]"
