"""Which endpoints a user may see: all for admins, those granted to their teams for the rest.

One home for the rule, used by the API and the pages alike; an endpoint a user may not see
is as absent as one that does not exist (404, not 403), so its name is not confirmed.
"""

from __future__ import annotations

from fastapi import Request

from swarmdeck.console.context import console
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import Principal
from swarmdeck.store import EndpointRecord, Role, Teams


def visible_endpoints(request: Request, who: Principal) -> set[str] | None:
    """The endpoints ``who`` may see: None for admins (all), else those granted to their teams."""
    if who.role.allows(Role.ADMIN):
        return None
    return Teams(console(request).store).endpoints_of(who.user.username)


def visible_endpoint(request: Request, who: Principal, name: str) -> EndpointRecord:
    """One endpoint ``who`` may see; one they may not is as absent as one that does not exist."""
    visible = visible_endpoints(request, who)
    if visible is not None and name not in visible:
        raise ConsoleError(f"no endpoint named {name!r}", 404)
    return console(request).store.get_endpoint(name)
