"""Bring an existing database up to the models: add the columns added since it was made.

``create_all`` makes missing tables but leaves existing ones as they are, so a console
upgraded on an old data directory would fail on the first query naming a new column. Each
new column is nullable or has a server default, so ``ALTER TABLE … ADD COLUMN`` is all an
upgrade needs (SQLite and PostgreSQL alike). Anything more (a renamed or retyped column)
is for Alembic.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, Table, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateColumn

from swarmdeck.store.errors import StoreError


def add_missing_columns(engine: Engine, tables: Iterable[Table]) -> list[str]:
    """Add to each existing table the model's columns it lacks; return them as ``table.column``."""
    added: list[str] = []
    try:
        inspector = inspect(engine)
        for table in tables:
            if not inspector.has_table(table.name):
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                if not column.nullable and column.server_default is None:
                    raise StoreError(
                        f"the database's table {table.name} lacks column {column.name}, "
                        "which cannot be added in place (no default): migrate it first"
                    )
                ddl = CreateColumn(column).compile(dialect=engine.dialect)
                name = engine.dialect.identifier_preparer.format_table(table)
                try:
                    with engine.begin() as conn:
                        conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {ddl}"))
                except SQLAlchemyError:
                    # Another console process starting on the same database may have added it.
                    if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                        raise
                added.append(f"{table.name}.{column.name}")
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot bring the console's database up to date: {exc.__class__.__name__}: "
            f"{getattr(exc, 'orig', None) or exc}"
        ) from exc
    return added
