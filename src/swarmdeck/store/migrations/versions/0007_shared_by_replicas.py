"""State the replicas of a replicated console share, which each kept in its own memory before:

- a Git stack's redeploy slot (``git_stacks.busy_until``: store/gitstacks.py): one redeploy
  of a stack at a time whichever replica is asked (or whose schedule looks); a slot whose
  replica died is free once its lease ends;
- when a registry's tags last changed as a console learnt it (a tag deleted through it, the
  registry's push or delete notification): ``registry_index_state.tags_changed_at``
  (store/registry_index.py), so a replica drops tags it cached before (console/list_cache.py)
  whichever replica was told.

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
    with op.batch_alter_table("registry_index_state") as batch:
        batch.add_column(sa.Column("tags_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_index_state") as batch:
        batch.drop_column("tags_changed_at")
    with op.batch_alter_table("git_stacks") as batch:
        batch.drop_column("busy_until")
