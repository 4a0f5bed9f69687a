"""Audit trail: the chain is keyed (HMAC-SHA256 with the audit key) from here on; each row says how it is hashed.

Revision ID: 0006_keyed_audit_chain
Revises: 0005_ui_sessions
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_keyed_audit_chain"
down_revision = "0005_ui_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before have no scheme: they keep their plain SHA-256 links (the table is append-only).
    op.add_column("audit_events", sa.Column("hash_scheme", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash_scheme")
