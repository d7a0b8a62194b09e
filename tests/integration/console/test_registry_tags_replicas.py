"""A registry's tags as two console processes on one database see them (the replicas of a
replicated console): each keeps the tags it fetched in memory for a while, yet a tag deleted
through one, or a push the registry's notification told the other about, shows on the next
view of the one that cached the old list (not 30 s later)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from swarmdeck.console import create_app
from swarmdeck.images.build import push_image, tag_image
from tests.support.console import database_url_of, login, store_of
from tests.testbed.registry_containers import registry_container

pytestmark = [pytest.mark.engine, pytest.mark.both_databases]
REPO = "replicas/app"


@pytest.fixture
def second(app: FastAPI) -> Iterator[FastAPI]:
    """Another console process's app on the same data directory and database."""
    other = create_app(store_of(app).data_dir, database_url=database_url_of(app))
    yield other
    other.state.console.close()


def push(engine, image: str, reference: str) -> None:
    tag_image(engine, image, reference)
    try:
        push_image(engine, reference)
    finally:
        engine.images.remove(reference)


def test_tags_changed_through_one_console_process_are_current_on_the_other(
    app, second, admin, operator, engine, busybox_image
) -> None:
    with registry_container(engine, {"REGISTRY_STORAGE_DELETE_ENABLED": "true"}) as address:
        for tag in ("1", "2"):  # one digest, two tags
            push(engine, busybox_image, f"{address}/{REPO}:{tag}")
        made = admin.post("/api/registries", json={"name": "own", "address": address})
        assert made.status_code == 201, made.text

        def tags() -> list[str]:
            answer = operator.get("/api/registries/own/tags", params={"repository": REPO})
            assert answer.status_code == 200, answer.text
            return answer.json()["items"]

        assert tags() == ["1", "2"]  # fetched, and kept in this process's memory
        other = login(second, "oper")
        params = {"repository": REPO, "tag": "1", "confirm": "true"}
        deleted = other.delete("/api/registries/own/tags", params=params)
        assert deleted.status_code == 200 and deleted.json()["deleted_tags"] == ["1", "2"], deleted.text
        assert tags() == []  # at once, though this process's list was fresh

        # A push the registry's notification tells the other process about.
        push(engine, busybox_image, f"{address}/{REPO}:3")
        second.state.registries.apply_events("own", [("push", REPO, True)])
        assert tags() == ["3"]
