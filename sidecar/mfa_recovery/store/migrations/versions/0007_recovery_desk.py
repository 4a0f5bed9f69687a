"""Recovery desk: cases (``desk_cases``) and their documents' metadata (``desk_documents``; the sealed files are in
the data directory, never in the store).

Revision ID: 0007_recovery_desk
Revises: 0006_keyed_audit_chain
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_recovery_desk"
down_revision = "0006_keyed_audit_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_number", sa.String(14), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("realm", sa.String(255), nullable=False),
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("account_key", sa.String(255), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("kvk_number", sa.String(8), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("ip", sa.String(255), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ocr_checked", sa.Boolean(), nullable=False),
        sa.Column("account_lookup", sa.String(16), nullable=False),
        sa.Column("matched_user_id", sa.String(255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("documents_deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("case_number", name="uq_desk_cases_case_number"),
        sa.CheckConstraint("status IN ('open', 'approved', 'rejected')", name="ck_desk_cases_status"),
        sa.CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="ck_desk_cases_decided"),
        sa.CheckConstraint(
            "account_lookup IN ('matched', 'no_match', 'unavailable')", name="ck_desk_cases_account_lookup"
        ),
    )
    op.create_index("ix_desk_cases_account", "desk_cases", ["realm", "account_key", "created_at"])
    op.create_index("ix_desk_cases_created_at", "desk_cases", ["created_at"])
    op.create_index("ix_desk_cases_status", "desk_cases", ["status", "documents_deleted_at"])
    op.create_table(
        "desk_documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "case_id", sa.String(32), sa.ForeignKey("desk_cases.id", name="fk_desk_documents_case"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "kind", name="uq_desk_documents_case_kind"),
        sa.UniqueConstraint("file_name", name="uq_desk_documents_file_name"),
        sa.CheckConstraint("kind IN ('kvk_extract', 'id_document', 'selfie')", name="ck_desk_documents_kind"),
    )


def downgrade() -> None:
    op.drop_table("desk_documents")
    op.drop_index("ix_desk_cases_status", table_name="desk_cases")
    op.drop_index("ix_desk_cases_created_at", table_name="desk_cases")
    op.drop_index("ix_desk_cases_account", table_name="desk_cases")
    op.drop_table("desk_cases")
