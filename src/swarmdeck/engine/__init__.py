"""Docker Engine access: endpoints, clients, swarm state and routing capabilities."""

from swarmdeck.engine.sdk_import import defer_ssh_transport

defer_ssh_transport()  # before any engine module imports the docker SDK (start-up time)
