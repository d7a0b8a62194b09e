"""The audit log (admins only), newest first, paged and filtered by action.

The audit page renders the same entries (``audit_page``), so both faces show one truth.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from swarmdeck.console.api import models
from swarmdeck.console.context import ADMIN, console
from swarmdeck.console.params import Page
from swarmdeck.console.security import Principal

router = APIRouter(tags=["audit"])


def audit_page(request: Request, page: int, per_page: int, action: str | None = None) -> models.AuditPage:
    """One page of the audit log: the API answers it, the audit page renders it."""
    entries, total = console(request).store.list_audit((page - 1) * per_page, per_page, action)
    return models.AuditPage(
        total=total,
        page=page,
        per_page=per_page,
        items=[
            models.AuditEntry(
                at=e.at.isoformat(),
                user=e.username,
                action=e.action,
                target=e.target,
                endpoint=e.endpoint,
                result=e.result,
                client=e.client,
            )
            for e in entries
        ],
    )


@router.get("/audit")
def audit_log(
    request: Request,
    _: Principal = ADMIN,
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> models.AuditPage:
    return audit_page(request, page, per_page, action)
