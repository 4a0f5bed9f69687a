"""Recovery desk decisions: the realm option ``desk_four_eyes`` (default off) and the first approvals of cases in
realms with four-eyes (``desk_approvals``), and operators' notes on cases (``desk_notes``).

Revision ID: 0008_desk_decisions
Revises: 0007_recovery_desk
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_desk_decisions"
down_revision = "0007_recovery_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("realm_options", sa.Column("desk_four_eyes", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "desk_approvals",
        sa.Column(
            "case_id",
            sa.String(32),
            sa.ForeignKey("desk_cases.id", name="fk_desk_approvals_case"),
            nullable=False,
        ),
        sa.Column("operator_id", sa.String(255), nullable=False),
        sa.Column("operator", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "operator_id", name="pk_desk_approvals"),
    )

    op.create_table(
        "desk_notes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("desk_cases.id", name="fk_desk_notes_case"), nullable=False),
        sa.Column("operator", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_desk_notes_case", "desk_notes", ["case_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_desk_notes_case", table_name="desk_notes")
    op.drop_table("desk_notes")
    op.drop_table("desk_approvals")
    with op.batch_alter_table("realm_options") as batch:
        batch.drop_column("desk_four_eyes")
