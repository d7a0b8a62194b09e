"""Stacks from Git (``git_stacks``: store/gitstacks.py), and the commit each version of a
stack's compose file came from (``stack_versions.git_commit``).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "git_stacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("stack", sa.String(64), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("git_username", sa.String(200), nullable=False, server_default=""),
        sa.Column("token_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
        sa.Column("hook_hash", sa.String(64), nullable=False),
        sa.Column("hook_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("last_commit", sa.String(64), nullable=False, server_default=""),
        sa.Column("last_result", sa.Text(), nullable=False, server_default=""),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("endpoint", "stack"),
    )
    op.create_index("ix_git_stacks_endpoint", "git_stacks", ["endpoint"])
    op.create_index("ix_git_stacks_hook_hash", "git_stacks", ["hook_hash"], unique=True)
    with op.batch_alter_table("stack_versions") as batch:
        batch.add_column(sa.Column("git_commit", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stack_versions") as batch:
        batch.drop_column("git_commit")
    op.drop_table("git_stacks")
