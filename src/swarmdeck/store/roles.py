"""Console roles: kept apart from the database models so that the CLI can offer them
without loading SQLAlchemy."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What a user may do. Ordered: each role may do everything the ones below it may."""

    READ_ONLY = "read-only"  # look only
    OPERATOR = "operator"  # act on containers, images, networks, volumes
    ADMIN = "admin"  # users, endpoints, the audit log

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.READ_ONLY: 0, Role.OPERATOR: 1, Role.ADMIN: 2}
