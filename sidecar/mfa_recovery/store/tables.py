"""Table definitions (SQLAlchemy Core). The schema itself is created by the Alembic migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# BIGINT on PostgreSQL, INTEGER (rowid alias, autoincrement) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

backup_codes = Table(
    "backup_codes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("realm", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("lookup", String(64), nullable=False),
    Column("hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("realm", "user_id", "lookup", name="uq_backup_codes_lookup"),
)

used_bridge_tokens = Table(
    "used_bridge_tokens",
    metadata,
    Column("jti", String(255), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False, index=True),
    Column("realm", String(255), nullable=True),
    Column("actor", String(255), nullable=False),
    Column("subject", String(255), nullable=True),
    Column("action", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("detail", JSON, nullable=True),
    Column("ip", String(255), nullable=True),
    Column("user_agent", Text, nullable=True),
)
