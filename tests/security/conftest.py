"""Fixtures of the security suite (tests/security/harness.py has the parts)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Served, serve


@pytest.fixture(scope="module")
def served(tmp_path_factory, engine) -> Iterator[Served]:
    """A console of this module's own, served over HTTP (the users of harness.USERS)."""
    with serve(tmp_path_factory.mktemp("sdsec") / "data") as console:
        yield console


@pytest.fixture(scope="module")
def served_b(tmp_path_factory, engine, node_b_engine) -> Iterator[Served]:
    """Like ``served``, with node B's engine as endpoint ``nodeb``, granted to team red (oper)."""
    with serve(tmp_path_factory.mktemp("sdsec") / "data", node_b=True) as console:
        yield console
