"""The registry index: repository names per registry (``registry_repositories``) and how each
registry's index is kept current (``registry_index_state``: last walk, last notification, the
hash of its notification token): store/registry_index.py.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_repositories",
        sa.Column("registry", sa.String(64), primary_key=True),
        sa.Column("repository", sa.String(255), primary_key=True),
    )
    op.create_table(
        "registry_index_state",
        sa.Column("registry", sa.String(64), primary_key=True),
        sa.Column("walked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("registry_index_state")
    op.drop_table("registry_repositories")
