"""The store's lists of names come in code point order (store/ordering.py) on SQLite and on a
PostgreSQL database collated by a non-C locale (ICU's en-US), where a plain ``ORDER BY name``
puts ``_x, a-c, ab, b, B, Z`` instead of ``B, Z, _x, a-c, ab, b``. Each list is filled with
names that tell the two orders apart, in an order that is neither."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from swarmdeck.store import Role, Store, Teams
from swarmdeck.store.gitstacks import GitStacks
from swarmdeck.store.registries import RegistryStore
from swarmdeck.store.registry_index import RegistryIndex
from swarmdeck.store.stackfiles import StackFiles
from swarmdeck.store.workloads import WorkloadSettings

PASSWORD = "a long enough password"
NAMES = ["b", "Z", "ab", "_x", "B", "a-c", "a.c", "a0"]  # letters, digits, '.', '_', '-'
LOWER = ["ab", "a_b", "a0", "a.b", "a-b", "b"]  # where names are lowercase (registries)


@pytest.fixture(params=["sqlite", "postgresql-en-US"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = None
    if request.param != "sqlite":
        url = request.getfixturevalue("postgres_server").new_database(icu_locale="en-US")
    s = Store(tmp_path / "data", url)
    yield s
    s.close()


def test_the_database_collates_names_as_its_locale_says(store: Store) -> None:
    """The test bed itself: on the en-US database a plain ORDER BY is not code point order
    (were it, the tests below could not fail there)."""
    for name in NAMES:
        store.create_user(name, PASSWORD, Role.READ_ONLY)
    with store.engine.connect() as conn:
        plain = conn.execute(text("SELECT username FROM users ORDER BY username")).scalars().all()
    if store.engine.dialect.name == "postgresql":
        assert plain != sorted(NAMES), plain
    else:
        assert plain == sorted(NAMES)


def test_users_endpoints_and_teams_by_code_point(store: Store) -> None:
    teams = Teams(store)
    for name in NAMES:
        store.create_user(name, PASSWORD, Role.READ_ONLY)
        store.add_endpoint(name, "unix:///var/run/docker.sock")
        teams.create(name)
    for name in NAMES:
        teams.add_member("b", name)
        teams.grant("b", name)
    assert [u.username for u in store.list_users()] == sorted(NAMES)
    assert [e.name for e in store.list_endpoints()] == sorted(NAMES)
    assert [t.name for t in teams.list()] == sorted(NAMES)
    team = teams.get("b")
    assert list(team.members) == sorted(NAMES)
    assert list(team.endpoints) == sorted(NAMES)


def test_registries_templates_git_stacks_and_paths_by_code_point(store: Store) -> None:
    registries = RegistryStore(store, store.data_dir)
    for name in LOWER:
        registries.add(name, "registry.test:5000", None, None, None)
    assert [r.name for r in registries.list()] == sorted(LOWER)

    files = StackFiles(store)
    for key in NAMES:
        files.add_template(key, f"title {key}", "", "services: {}\n", "admin")
    assert [t.key for t in files.templates()] == sorted(NAMES)

    git = GitStacks(store)
    pairs = [(endpoint, stack) for endpoint in ("b", "B") for stack in ("a-c", "_x", "Z")]
    for endpoint, stack in pairs:
        git.add(endpoint, stack, "https://git.test/r.git", "main", "compose.yml", "", "", None, "admin")
    assert [(g.endpoint, g.stack) for g in git.list()] == sorted(pairs)

    paths = [f"/srv/{name}" for name in NAMES]
    WorkloadSettings(store).set_allowed_host_paths(paths)
    assert WorkloadSettings(store).allowed_host_paths() == sorted(paths)


def test_registry_index_pages_by_code_point(store: Store) -> None:
    """A page boundary falls where code point order puts it, on both databases."""
    names = [f"team/{name}" for name in NAMES]
    index = RegistryIndex(store)
    index.replace("reg", names)
    first, total = index.page("reg", "", 0, 3)
    rest, _ = index.page("reg", "", 3, 100)
    assert total == len(names)
    assert first + rest == sorted(names)
