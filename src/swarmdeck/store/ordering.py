"""The one order the store's lists of names come in: by code point, on every database.

SQLite compares text by its bytes (UTF-8: code point order), and so does Python's ``sorted``;
PostgreSQL sorts by its database's collation, which under a non-C locale (``en_US.UTF-8``, an
ICU one) ignores case and punctuation at first: ``_x, a-c, ab, b, B, Z`` there, but
``B, Z, _x, a-c, ab, b`` on SQLite. So a list would change order when a console moves from
SQLite to PostgreSQL, and a page boundary (offset and limit) would fall elsewhere. Code point
order is the one both can give cheaply (PostgreSQL's ``"C"`` collation exists in every
database), and the one a registry's catalog uses for its names too.

``by_name(column)`` is what an ``order_by`` of a text column takes; numbers and times need
nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class by_name(FunctionElement[str]):  # noqa: N801 - used like a function in order_by
    """A text column, compared by code point (on PostgreSQL: ``COLLATE "C"``)."""

    type = String()
    inherit_cache = True


@compiles(by_name)
def _plain(element: by_name, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)  # SQLite: BINARY, its default, is this order


@compiles(by_name, "postgresql")
def _c_collation(element: by_name, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'
