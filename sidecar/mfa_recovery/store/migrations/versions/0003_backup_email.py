"""Backup email and "I have neither": backup addresses, emailed codes, the outbox's detail, new realm options.

Revision ID: 0003_backup_email
Revises: 0002_recovery_setup
Create Date: 2025-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_backup_email"
down_revision = "0002_recovery_setup"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

REALM_OPTION_COLUMNS = ("email_method_enabled", "reenrol_otp_after_email_recovery", "supervisor_attribute")


def upgrade() -> None:
    # Plain ADD COLUMN: nullable or with a server default, both SQLite and PostgreSQL add them in place.
    op.add_column(
        "realm_options", sa.Column("email_method_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column(
        "realm_options",
        sa.Column("reenrol_otp_after_email_recovery", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "realm_options",
        sa.Column("supervisor_attribute", sa.String(64), nullable=False, server_default="supervisor"),
    )
    op.add_column("notification_outbox", sa.Column("detail", sa.JSON(), nullable=True))
    op.create_index(
        "ix_notification_outbox_user_kind", "notification_outbox", ["realm", "user_id", "kind", "occurred_at"]
    )

    op.create_table(
        "backup_emails",
        sa.Column("realm", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("realm", "user_id", name="pk_backup_emails"),
    )

    op.create_table(
        "email_challenges",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("realm", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("code_lookup", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('sign_in', 'verify_address')", name="ck_email_challenges_purpose"),
    )
    op.create_index("ix_email_challenges_user", "email_challenges", ["realm", "user_id", "purpose", "created_at"])
    op.create_index("ix_email_challenges_created", "email_challenges", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_email_challenges_created", table_name="email_challenges")
    op.drop_index("ix_email_challenges_user", table_name="email_challenges")
    op.drop_table("email_challenges")
    op.drop_table("backup_emails")
    op.drop_index("ix_notification_outbox_user_kind", table_name="notification_outbox")
    # Rows of the new kinds cannot be delivered without their detail.
    op.execute("DELETE FROM notification_outbox WHERE kind <> 'backup_code_signin'")
    # batch mode: SQLite before 3.35 cannot drop a column in place; PostgreSQL alters in place.
    with op.batch_alter_table("notification_outbox") as batch:
        batch.drop_column("detail")
    with op.batch_alter_table("realm_options") as batch:
        for name in reversed(REALM_OPTION_COLUMNS):
            batch.drop_column(name)
