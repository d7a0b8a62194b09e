"""Directory (LDAP) login: its settings (``directory_settings``, the bind password sealed) and
the local accounts a directory login made (``directory_users``): store/directory.py.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(300), nullable=False),
        sa.Column("bind_dn", sa.String(500), nullable=False),
        sa.Column("bind_password", sa.LargeBinary(), nullable=True),
        sa.Column("user_base", sa.String(500), nullable=False),
        sa.Column("user_filter", sa.String(500), nullable=False),
        sa.Column("group_base", sa.String(500), nullable=False),
        sa.Column("group_filter", sa.String(500), nullable=False),
        sa.Column("mappings", sa.Text(), nullable=False),
    )
    op.create_table("directory_users", sa.Column("username", sa.String(64), primary_key=True))


def downgrade() -> None:
    op.drop_table("directory_users")
    op.drop_table("directory_settings")
