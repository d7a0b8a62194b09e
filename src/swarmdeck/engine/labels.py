"""The one home of the wire labels that the docker tools put on engine objects.

``docker stack deploy`` marks every object of a stack with ``com.docker.stack.namespace``;
Compose v2 marks a project's containers, networks and volumes with ``com.docker.compose.*``;
the swarm marks a service's task containers with ``com.docker.swarm.*``. They are how
swarmdeck and the docker CLI find each other's stacks and projects, so every module that
reads or writes one imports it from here (a typo elsewhere would silently split the tools).
"""

from __future__ import annotations

# docker stack (the docker CLI's cli/compose/convert)
STACK_NAMESPACE = "com.docker.stack.namespace"
STACK_IMAGE = "com.docker.stack.image"

# Compose v2 (compose-go's api labels)
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
COMPOSE_NUMBER = "com.docker.compose.container-number"
COMPOSE_ONEOFF = "com.docker.compose.oneoff"
COMPOSE_WORKING_DIR = "com.docker.compose.project.working_dir"
COMPOSE_CONFIG_FILES = "com.docker.compose.project.config_files"
COMPOSE_CONFIG_HASH = "com.docker.compose.config-hash"
COMPOSE_IMAGE = "com.docker.compose.image"
COMPOSE_DEPENDS_ON = "com.docker.compose.depends_on"
COMPOSE_VERSION = "com.docker.compose.version"
COMPOSE_NETWORK = "com.docker.compose.network"
COMPOSE_VOLUME = "com.docker.compose.volume"

# the swarm's own, on a task's container
SWARM_SERVICE_NAME = "com.docker.swarm.service.name"

# What names a stack or a project (the console groups by them; the policy guards them),
# and what names a service within one.
NAMESPACE_LABELS = (STACK_NAMESPACE, COMPOSE_PROJECT)
SERVICE_NAME_LABELS = (SWARM_SERVICE_NAME, COMPOSE_SERVICE)


def stack_filter(namespace: str) -> dict[str, str]:
    """The engine list filter of the objects of stack ``namespace``."""
    return {"label": f"{STACK_NAMESPACE}={namespace}"}
