"""The swarm back end: compose projects -> Swarm API objects, as ``docker stack deploy`` does.

Modules: ``convert`` (Project -> API bodies, the CLI's exact wire format; its parts are
``wire``, ``objects`` and ``servicespec``), ``plan`` (desired vs existing: create / update /
remove, with changed fields), its pre-flight (``preflight``, ``hostports``, ``collisions``,
``networkscope``: what the engine would refuse part-way, refused at the compose keys before
anything changes), ``apply`` (the API calls in the CLI's order, ``--resolve-image``,
``--prune``, registry auth), ``undo`` (all or nothing when a change fails anyway),
``converge`` (``--detach=false``);
``sdkapi`` types the SDK calls its stubs leave untyped. Listing and removing stacks is the
swarm layer's (``swarm.stacks``).

Entry point for callers::

    from swarmdeck.compose.stack import deploy, DeployOptions
    report = deploy(client, load_result, DeployOptions(namespace="web"), out=print)
"""

from swarmdeck.compose.stack.apply import DeployOptions, DeployReport, deploy
from swarmdeck.compose.stack.errors import StackError

__all__ = ["DeployOptions", "DeployReport", "StackError", "deploy"]
