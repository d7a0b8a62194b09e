"""A Git stack's redeploy slot in the database (``git_stacks.busy_until``): the console's
replicas share it, so one redeploy of a stack runs at a time whichever replica is asked (or
whose schedule looks), and a slot whose replica died is free once its lease ends.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("git_stacks") as batch:
        batch.add_column(sa.Column("busy_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("git_stacks") as batch:
        batch.drop_column("busy_until")
