"""The console's schema as its last release before migrations made it (``create_all`` on the
models of commit 67f0b78, with the registries and workload settings tables that their modules
added), frozen here: revision 0001 creates it, and ``store/schema.py`` brings an unversioned
database up to it before stamping. Never edit: change the schema with a new revision instead.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

# store/workloads.py's limit when the baseline was taken.
MAX_PATH_LENGTH = 512
metadata = MetaData()


def _when(name: str, *, nullable: bool = False, index: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable, index=index)


Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True, index=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    _when("created_at"),
)
Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True, index=True),
    Column("prefix", String(16), nullable=False),
    _when("created_at"),
    _when("last_used_at", nullable=True),
    _when("expires_at", nullable=True),
    Column("scope", String(8), nullable=False, server_default="all"),
)
Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    _when("created_at"),
    _when("expires_at"),
)
Table(
    "endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True, index=True),
    Column("url", String(512), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("tls_ca", String(1024), nullable=True),
    Column("tls_cert", String(1024), nullable=True),
    Column("tls_key", String(1024), nullable=True),
    _when("created_at"),
)
Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True, index=True),
    _when("created_at"),
)
Table(
    "team_members",
    metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)
Table(
    "team_endpoints",
    metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True, index=True),
)
Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    _when("at", index=True),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(512), nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("result", Text, nullable=False),
    Column("client", String(64), nullable=False),
)
Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(128), nullable=False, index=True),
    Column("client", String(64), nullable=False),
    _when("at", index=True),
)
Table(
    "login_delays",
    metadata,
    Column("username", String(128), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    _when("last_at", index=True),
    _when("until"),
)
Table(
    "registries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True, index=True),
    Column("address", String(300), nullable=False),
    Column("username", String(255), nullable=True),
    Column("password", LargeBinary, nullable=True),
    Column("ca_pem", Text, nullable=True),
    _when("created_at"),
    Column("allowed_realms", Text, nullable=True),
)
Table(
    "workload_host_paths",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("path", String(MAX_PATH_LENGTH), nullable=False, unique=True),
    _when("created_at"),
)
