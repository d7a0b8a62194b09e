"""The console's own state: users, API tokens, sessions, endpoints, teams and the audit log."""

from swarmdeck.store.db import default_data_dir, ensure_data_dir
from swarmdeck.store.errors import Conflict, Invalid, NotFound, StoreError
from swarmdeck.store.models import EndpointKind, Role
from swarmdeck.store.repository import (
    AuditRecord,
    EndpointRecord,
    SessionRecord,
    Store,
    TokenRecord,
    UserRecord,
)
from swarmdeck.store.teams import TeamRecord, Teams

__all__ = [
    "AuditRecord", "Conflict", "EndpointKind", "EndpointRecord", "Invalid", "NotFound", "Role",
    "SessionRecord", "Store", "StoreError", "TeamRecord", "Teams", "TokenRecord", "UserRecord",
    "default_data_dir", "ensure_data_dir",
]
