"""A registry of our own with deletion enabled, filled cheaply (1,050 repositories, more than
one page of the registry's catalog): a pytest plugin, registered in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swarmdeck.images.build import push_image, tag_image
from tests.testbed.registry_containers import fill, registry_container
from tests.testbed.registry_containers import registry_image as base_registry_image

SEED = "seed/busybox"
REPOSITORIES = 1050  # more than one page of 1,000 from the registry
TWO_TAGS = 10  # the first repositories carry v1 and latest (one digest); the others latest only


@pytest.fixture(scope="session")
def registry_image(engine) -> str:
    return base_registry_image(engine)


@pytest.fixture(scope="module")
def own_registry(engine, busybox_image) -> Iterator[str]:
    """A registry container (deletion enabled) holding SEED:1 and REPOSITORIES copies of it,
    tagged latest, and the first TWO_TAGS also v1 (two tags on one digest)."""
    with registry_container(engine, {"REGISTRY_STORAGE_DELETE_ENABLED": "true"}) as address:
        tag_image(engine, busybox_image, f"{address}/{SEED}:1")
        push_image(engine, f"{address}/{SEED}:1")
        try:
            fill(address, SEED, REPOSITORIES, TWO_TAGS)
            yield address
        finally:
            engine.images.remove(f"{address}/{SEED}:1")
