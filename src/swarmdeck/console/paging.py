"""The query parameters of a paged, searched list (``q``, ``page``, ``per_page``), declared
once for every route that pages on the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from swarmdeck.console.params import Page, Search

MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class Paging:
    q: str
    page: int
    per_page: int


def _paging(
    q: Search = "",
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 100,
) -> Paging:
    return Paging(q, page, per_page)


PagingQuery = Annotated[Paging, Depends(_paging)]
