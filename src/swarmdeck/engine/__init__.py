"""Docker Engine access: endpoints, clients, swarm state and routing capabilities."""
