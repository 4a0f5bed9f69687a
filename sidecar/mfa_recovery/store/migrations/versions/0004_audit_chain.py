"""Admin API: the audit trail becomes a hash chain and append-only; snapshots of the "force MFA" policy.

The rows already in ``audit_events`` are chained in id order (the first onto the genesis value) before the
triggers that refuse UPDATE and DELETE are created, so the whole table verifies afterwards. The hash is computed
with ``mfa_recovery.audit.chain``, the same code that verifies it (its format is a contract with stored rows).

A later migration that rebuilds ``audit_events`` on SQLite (batch mode copies the table) drops its triggers and
must create them again.

Revision ID: 0004_audit_chain
Revises: 0003_backup_email
Create Date: 2025-11-28
"""

import sqlalchemy as sa
from alembic import op

from mfa_recovery.audit.chain import GENESIS, chain_hash

revision = "0004_audit_chain"
down_revision = "0003_backup_email"
branch_labels = None
depends_on = None

BATCH = 1000

# The table as this migration knows it (not as tables.py may describe it later).
audit_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("realm", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("action", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("ip", sa.String()),
    sa.column("user_agent", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)

APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events"
        " BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events"
        " BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION USING MESSAGE = 'audit_events is append-only (' || TG_OP || ' refused)',"
        " ERRCODE = 'restrict_violation'; END $$",
        "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events"
        " FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ],
}

DROP_APPEND_ONLY = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_events_no_delete",
        "DROP TRIGGER IF EXISTS audit_events_no_update",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
        "DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events",
        "DROP FUNCTION IF EXISTS audit_events_append_only()",
    ],
}

INDEXES = {
    "uq_audit_events_prev_hash": (["prev_hash"], True),
    "ix_audit_events_realm_id": (["realm", "id"], False),
    "ix_audit_events_realm_subject_id": (["realm", "subject", "id"], False),
}


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_events", sa.Column("hash", sa.String(64), nullable=True))
    _chain_existing_rows(op.get_bind())
    for name, (columns, unique) in INDEXES.items():
        op.create_index(name, "audit_events", columns, unique=unique)
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)

    op.create_table(
        "policy_snapshots",
        sa.Column("realm", sa.String(255), primary_key=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(255), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
    )


def _chain_existing_rows(conn: sa.Connection) -> None:
    """Give every row, in id order, its prev_hash and hash (a batch at a time)."""
    c = audit_events.c
    chain_row = (
        sa.update(audit_events)
        .where(c.id == sa.bindparam("row_id"))
        .values(prev_hash=sa.bindparam("new_prev_hash"), hash=sa.bindparam("new_hash"))
    )
    prev_hash, after_id = GENESIS, None
    while True:
        query = sa.select(audit_events).order_by(c.id).limit(BATCH)
        if after_id is not None:
            query = query.where(c.id > after_id)
        rows = conn.execute(query).mappings().all()
        if not rows:
            return
        links = []
        for row in rows:
            row_hash = chain_hash(prev_hash, dict(row))
            links.append({"row_id": row["id"], "new_prev_hash": prev_hash, "new_hash": row_hash})
            prev_hash = row_hash
        conn.execute(chain_row, links)
        after_id = rows[-1]["id"]


def downgrade() -> None:
    op.drop_table("policy_snapshots")
    for statement in DROP_APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="audit_events")
    # batch mode: SQLite before 3.35 cannot drop a column in place; PostgreSQL alters in place.
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
