"""The engine's resources as the console shows them: containers, images, networks, volumes.

Thin functions over the Docker SDK's low-level API, one module per resource: ``containers``
(lists, inspect, actions, logs, live state), ``stats`` (``docker stats`` figures of a
container, and summed over a service's tasks on this engine), ``create`` (``docker run -d``),
``images`` (lists, tag, pull, push, build), ``networks`` (networks and volumes), ``names``
(the checks of names given). Nothing here knows about HTTP; a failure is a
``ConsoleError`` carrying the engine's meaning (404, 409) or 502. The console uses them as
``from swarmdeck.console import resources as res``: every public name is re-exported here.
"""

from swarmdeck.console.resources.containers import (
    STATES,
    ContainerRow,
    LineStream,
    Page,
    all_containers,
    container_action,
    container_event,
    container_logs,
    inspect_container,
    list_containers,
)
from swarmdeck.console.resources.create import (
    RESTART_POLICIES,
    ContainerSpec,
    container_request,
    create_container,
    run_container,
)
from swarmdeck.console.resources.images import (
    ImageRow,
    check_context,
    inspect_image,
    list_images,
    remove_image,
    start_build,
    start_pull,
    start_push,
    tag,
)
from swarmdeck.console.resources.names import check_name, check_reference, check_target
from swarmdeck.console.resources.networks import (
    create_network,
    create_volume,
    inspect_network,
    inspect_volume,
    list_networks,
    list_volumes,
    remove_network,
    remove_volume,
)
from swarmdeck.console.resources.stats import container_stats, service_stats

__all__ = [
    "RESTART_POLICIES",
    "STATES",
    "ContainerRow",
    "ContainerSpec",
    "ImageRow",
    "LineStream",
    "Page",
    "all_containers",
    "check_context",
    "check_name",
    "check_reference",
    "check_target",
    "container_action",
    "container_event",
    "container_logs",
    "container_request",
    "container_stats",
    "service_stats",
    "create_container",
    "create_network",
    "create_volume",
    "inspect_container",
    "inspect_image",
    "inspect_network",
    "inspect_volume",
    "list_containers",
    "list_images",
    "list_networks",
    "list_volumes",
    "remove_image",
    "remove_network",
    "remove_volume",
    "run_container",
    "start_build",
    "start_pull",
    "start_push",
    "tag",
]
