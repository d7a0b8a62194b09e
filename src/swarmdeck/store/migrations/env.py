"""Alembic's entry point for the console database: runs on the connection that
``store/schema.py`` passes in ``config.attributes`` (it holds the schema lock), never on a URL
of its own, so migrations cannot run outside that lock."""

from __future__ import annotations

from alembic import context

from swarmdeck.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
