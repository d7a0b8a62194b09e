"""An endpoint's TLS material kept in the database (store/endpoint_tls.py): the CA and client
certificate as PEM, the key sealed (Fernet).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("endpoints", sa.Column("tls_ca_pem", sa.Text(), nullable=True))
    op.add_column("endpoints", sa.Column("tls_cert_pem", sa.Text(), nullable=True))
    op.add_column("endpoints", sa.Column("tls_key_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints") as batch:
        batch.drop_column("tls_key_sealed")
        batch.drop_column("tls_cert_pem")
        batch.drop_column("tls_ca_pem")
