"""The lists' table (console/tables.py) on plain rows: the search narrows, any sortable column
sorts both ways, pages hold what "n–m of N" says, every link keeps the query, and a column
that is not there is one clear error."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.tables import Column, Table, TableQuery, show

ROWS = [{"id": f"id{i}", "name": f"box-{i:02d}", "size": (i * 7) % 10, "labels": {}} for i in range(23)]
TABLE = Table(
    id="boxes",
    noun="boxes",
    columns=(
        Column("name", "Name", lambda r: r["name"]),
        Column("size", "Size", lambda r: r["size"]),
        Column("labels", "Labels", optional=True),
    ),
    search=lambda r: (r["name"],),
    default_sort="name",
)


def test_search_sort_and_pages():
    found = show(TABLE, ROWS, TableQuery(q="BOX-1"), "/boxes")
    assert [r["name"] for r in found.items] == [f"box-{i}" for i in range(10, 20)]
    desc = show(TABLE, ROWS, TableQuery(sort="size", dir="desc", per_page=100), "/boxes")
    sizes = [r["size"] for r in desc.items]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 9
    pages = [show(TABLE, ROWS, TableQuery(page=p, per_page=10), "/boxes") for p in (1, 2, 3)]
    assert [(p.first, p.last, p.total, p.pages) for p in pages] == [
        (1, 10, 23, 3),
        (11, 20, 23, 3),
        (21, 23, 23, 3),
    ]
    assert [r["name"] for p in pages for r in p.items] == sorted(r["name"] for r in ROWS)
    empty = show(TABLE, ROWS, TableQuery(q="nothing"), "/boxes")
    assert (empty.first, empty.last, empty.total, empty.items) == (0, 0, 0, [])


def test_links_keep_the_query():
    view = show(
        TABLE,
        ROWS,
        TableQuery(q="box", sort="size", page=2, per_page=5, cols="labels"),
        "/boxes",
        [("endpoint", "local")],
    )
    asked = parse_qs(urlsplit(view.url(page=3)).query)
    assert asked == {
        "endpoint": ["local"],
        "q": ["box"],
        "sort": ["size"],
        "page": ["3"],
        "per_page": ["5"],
        "cols": ["labels"],
    }
    again = parse_qs(urlsplit(view.sort_url("size")).query)
    assert again == {
        "endpoint": ["local"],
        "q": ["box"],
        "sort": ["size"],
        "dir": ["desc"],
        "per_page": ["5"],
        "cols": ["labels"],
    }
    assert view.aria_sort("size") == "ascending" and view.aria_sort("name") == "none"
    assert (
        view.toggled("labels") == ""
        and show(TABLE, ROWS, TableQuery(), "/boxes").toggled("labels") == "labels"
    )


@pytest.mark.parametrize(
    "query", [TableQuery(sort="labels"), TableQuery(sort="nosuch"), TableQuery(cols="name")]
)
def test_a_column_that_is_not_there_is_one_clear_error(query):
    with pytest.raises(ConsoleError) as refused:
        show(TABLE, ROWS, query, "/boxes")
    assert refused.value.status == 400
