"""The console's own state: users, API tokens, sessions, endpoints, teams, the audit log and
failed logins.

Names are loaded on first use (PEP 562), so that importing ``swarmdeck.store.roles`` for a
command-line option does not load SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "default_data_dir": "datadir",
    "ensure_data_dir": "db",
    "Conflict": "errors",
    "Invalid": "errors",
    "NotFound": "errors",
    "StoreError": "errors",
    "EndpointKind": "models",
    "TokenScope": "models",
    "TLSMaterial": "endpoint_tls",
    "Role": "roles",
    "AuditRecord": "records",
    "EndpointRecord": "records",
    "SessionRecord": "records",
    "Store": "repository",
    "TokenRecord": "records",
    "TokenUse": "records",
    "UserRecord": "records",
    "TeamRecord": "teams",
    "Teams": "teams",
    "LoginFailures": "throttle",
    "AccountDelays": "throttle",
    "DelaySchedule": "throttle",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'swarmdeck.store' has no attribute {name!r}")
    return getattr(importlib.import_module(f"swarmdeck.store.{_EXPORTS[name]}"), name)
