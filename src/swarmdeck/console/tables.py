"""The one table of the console's lists: what a list page's query asks (search text, sort
column and direction, page, page size, optional columns shown), each parameter bounded once
here, and how a list of rows is searched, sorted and paged on the server by a table's
declaration (its columns, what each sorts by, what the search looks in).

The pages render the result with the ``_table.html`` macro: sortable headers, "n–m of N",
page sizes, the optional columns (labels: hidden until asked), and row selection for bulk
actions (table.js sends one request per object through the existing API routes). Every link
and the live part's ``hx-get`` carry the whole query, so a refresh keeps the page as shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, Query

from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import Page, Search

PAGE_SIZES = (25, 50, 100, 250)
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class Column:
    """One column: ``key`` (in URLs), its heading, what it sorts by (None: not sortable) and
    whether it is optional (hidden unless chosen)."""

    key: str
    label: str
    sort: Callable[[Any], Any] | None = None
    optional: bool = False


@dataclass(frozen=True)
class Action:
    """A bulk action: ``verb`` as the user reads it, the HTTP ``method`` and the API ``url``
    with ``{id}`` where each selected object's reference (one encoded path segment) goes."""

    verb: str
    method: str
    url: str
    danger: bool = False


@dataclass(frozen=True)
class Table:
    """A list's declaration: its element id, what its rows are called, its columns, the text
    a row is searched in, and its bulk actions (operators and admins only)."""

    id: str
    noun: str
    columns: tuple[Column, ...]
    search: Callable[[Any], Sequence[str]]
    default_sort: str
    actions: tuple[Action, ...] = ()
    row_id: Callable[[Any], str] = lambda r: str(r["id"] if isinstance(r, dict) else r.id)
    row_name: Callable[[Any], str] = lambda r: str(r["name"] if isinstance(r, dict) else r.name)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass(frozen=True)
class TableQuery:
    """What the page was asked for (every field bounded by its query parameter)."""

    q: str = ""
    sort: str = ""
    dir: Literal["asc", "desc"] = "asc"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    cols: str = ""  # the optional columns shown, comma-separated

    @property
    def shown(self) -> frozenset[str]:
        return frozenset(c for c in self.cols.split(",") if c)


def _table_query(
    q: Search = "",
    sort: Annotated[str, Query(pattern=r"^[a-z_]{0,32}$", description="the column sorted by")] = "",
    dir: Literal["asc", "desc"] = "asc",  # noqa: A002 (the URL's word)
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="rows per page")] = DEFAULT_PER_PAGE,
    cols: Annotated[
        str, Query(pattern=r"^[a-z_,]{0,100}$", description="optional columns shown, comma-separated")
    ] = "",
) -> TableQuery:
    return TableQuery(q, sort, dir, page, per_page, cols)


TableQueryParam = Annotated[TableQuery, Depends(_table_query)]


@dataclass(frozen=True)
class TableView:
    """One page of a table as the macro renders it."""

    table: Table
    query: TableQuery
    path: str  # the page's path, for its links
    extra: tuple[tuple[str, str], ...]  # the page's other parameters (endpoint, filters)
    items: list[Any]
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    @property
    def first(self) -> int:
        return min(self.total, (self.query.page - 1) * self.query.per_page + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.query.page * self.query.per_page)

    @property
    def columns(self) -> list[Column]:
        """Every column: an optional one is rendered hidden (CSS) until chosen, so that the
        page's own toggle shows it at once (templates/_table.html)."""
        return list(self.table.columns)

    @property
    def optional(self) -> list[Column]:
        return [c for c in self.table.columns if c.optional]

    @property
    def page_sizes(self) -> tuple[int, ...]:
        return tuple(sorted({*PAGE_SIZES, self.query.per_page}))

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The query as (name, value) pairs, with ``changes``; defaults are left out."""
        query = replace(self.query, **changes)
        pairs = list(self.extra)
        for name, value, default in (
            ("q", query.q, ""),
            ("sort", query.sort, ""),
            ("dir", query.dir, "asc"),
            ("page", query.page, 1),
            ("per_page", query.per_page, DEFAULT_PER_PAGE),
            ("cols", query.cols, ""),
        ):
            if value != default:
                pairs.append((name, str(value)))
        return pairs

    def url(self, **changes: Any) -> str:
        """The page's URL with its query (and ``changes``)."""
        pairs = self.params(**changes)
        return f"{self.path}?{urlencode(pairs)}" if pairs else self.path

    def sort_url(self, key: str) -> str:
        """Sorting by ``key``: ascending first, the other way when it is already the one."""
        again = key == self.sorted_by and self.query.dir == "asc"
        return self.url(sort=key, dir="desc" if again else "asc", page=1)

    @property
    def sorted_by(self) -> str:
        return self.query.sort or self.table.default_sort

    def aria_sort(self, key: str) -> str:
        if key != self.sorted_by:
            return "none"
        return "descending" if self.query.dir == "desc" else "ascending"

    def toggled(self, key: str) -> str:
        """``cols`` with the optional column ``key`` shown if hidden, hidden if shown."""
        shown = set(self.query.shown) ^ {key}
        return ",".join(c.key for c in self.table.columns if c.key in shown)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Values of any kind in one order: numbers, then text (any case), then the rest."""
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value.lower())
    if isinstance(value, list | tuple):
        return (1, " ".join(str(v) for v in value).lower())
    return (2, str(value))


def show(
    table: Table,
    rows: Sequence[Any],
    query: TableQuery,
    path: str,
    extra: Sequence[tuple[str, str]] = (),
) -> TableView:
    """Search ``rows`` for ``query.q`` (any case, in what the table searches), sort them by the
    asked column, and keep the asked page. An unknown or unsortable column, or an unknown
    optional column, is a 400 naming the choices."""
    key = query.sort or table.default_sort
    column = table.column(key)
    if column is None or column.sort is None:
        choices = ", ".join(c.key for c in table.columns if c.sort is not None)
        raise ConsoleError(f"cannot sort {table.noun} by {key!r} (one of {choices})", 400)
    unknown = query.shown - {c.key for c in table.columns if c.optional}
    if unknown:
        optional = ", ".join(c.key for c in table.columns if c.optional) or "none"
        raise ConsoleError(f"no optional column {', '.join(sorted(unknown))} (one of {optional})", 400)
    needle = query.q.strip().lower()
    found = (
        [r for r in rows if any(needle in text.lower() for text in table.search(r))] if needle else list(rows)
    )
    by = column.sort
    found.sort(key=lambda r: (_sort_key(by(r)), table.row_name(r)), reverse=query.dir == "desc")
    start = (query.page - 1) * query.per_page
    return TableView(table, query, path, tuple(extra), found[start : start + query.per_page], len(found))
