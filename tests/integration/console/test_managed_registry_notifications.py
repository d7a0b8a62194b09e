"""The registry `swarmdeck up` starts posts its events to the console: it is configured with
the console's URL as a container sees it (``host.docker.internal``, the engine's host
gateway) and a token kept in its configuration, which the console reads back through the
engine. Made again (data kept) when it does not notify that URL; reused when it does."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from swarmdeck.images.bootstrap import ensure_base_images
from swarmdeck.images.build import push_image, tag_image
from swarmdeck.platform import private_registry
from swarmdeck.registry import notifications
from swarmdeck.registry.client import RegistryClient
from tests.support.console import login
from tests.support.notified_registry import gateway_console
from tests.testbed.redis import free_port

REPO = "managed/notified"


@pytest.fixture
def managed_registry(engine):
    private_registry.remove_registry(engine, volumes=True)
    yield
    private_registry.remove_registry(engine, volumes=True)


def test_the_managed_registry_notifies_the_console(app, engine, busybox_image, managed_registry):
    image = ensure_base_images(engine, roles=["registry"])["registry"].image
    admin = login(app, "admin")
    with gateway_console(app, engine) as live:
        port = urlsplit(live.url).port
        address, what = private_registry.ensure_registry(
            engine, image, port=free_port(), notify=private_registry.console_url(port)
        )
        assert what.startswith("started")
        token = private_registry.notification_token(engine)
        assert token
        assert admin.get("/api/registries/swarmdeck/repositories").json()["items"] == []  # the first walk

        reference = f"{address}/{REPO}:1"
        tag_image(engine, busybox_image, reference)
        try:
            push_image(engine, reference)
        finally:
            engine.images.remove(reference)
        deadline = time.monotonic() + 20
        while admin.get("/api/registries/swarmdeck/repositories").json()["items"] != [REPO]:
            assert time.monotonic() < deadline, "the managed registry's push did not reach the index"
            time.sleep(0.2)
        assert app.state.registries.catalogs.walks == 1

        # Reused while it notifies that URL; made again, with its data, for another one.
        _, what = private_registry.ensure_registry(
            engine, image, port=int(address.rsplit(":", 1)[1]), notify=private_registry.console_url(port)
        )
        assert what.startswith("reused")
        _, what = private_registry.ensure_registry(
            engine, image, port=int(address.rsplit(":", 1)[1]), notify=private_registry.console_url(port + 1)
        )
        assert what.startswith("made again")
        assert private_registry.notification_token(engine) not in (None, token)
        with RegistryClient(address) as client:
            assert client.tags(REPO) == ["1"]
        # The old token no longer authenticates the managed registry.
        answer = admin.post(
            "/api/registries/swarmdeck/notifications",
            headers={notifications.TOKEN_HEADER: token},
            json={"events": []},
        )
        assert answer.status_code == 401
