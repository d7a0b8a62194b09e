"""Stacks deployed from the console keep their compose files (``stack_versions``), and admins
keep their own app templates (``app_templates``): store/stackfiles.py.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stack_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("stack", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("compose", sa.Text(), nullable=False),
        sa.Column("env_json", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("endpoint", "stack", "version"),
    )
    op.create_index("ix_stack_versions_endpoint", "stack_versions", ["endpoint"])
    op.create_index("ix_stack_versions_stack", "stack_versions", ["stack"])
    op.create_table(
        "app_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("compose", sa.Text(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_app_templates_key", "app_templates", ["key"], unique=True)


def downgrade() -> None:
    op.drop_table("app_templates")
    op.drop_table("stack_versions")
