"""Account-recovery setup: realm options, pending backup-code sets, failure limit, notification outbox.

Revision ID: 0002_recovery_setup
Revises: 0001_initial
Create Date: 2025-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_recovery_setup"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # batch mode: SQLite cannot add a CHECK constraint with ALTER TABLE; PostgreSQL alters in place.
    with op.batch_alter_table("backup_codes") as batch:
        batch.add_column(sa.Column("set_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="active"))
        batch.create_check_constraint("ck_backup_codes_status", "status IN ('pending', 'active')")
    op.create_index("ix_backup_codes_user_set", "backup_codes", ["realm", "user_id", "set_id"])
    op.create_index("ix_backup_codes_status_created", "backup_codes", ["status", "created_at"])

    op.create_table(
        "realm_options",
        sa.Column("realm", sa.String(255), primary_key=True),
        sa.Column("code_count", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("warning_threshold", sa.Integer(), nullable=False, server_default="3"),
        sa.Column("setup_prompt", sa.String(16), nullable=False, server_default="offered"),
        sa.Column("reenrol_otp_after_recovery", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.CheckConstraint("code_count BETWEEN 5 AND 20", name="ck_realm_options_code_count"),
        sa.CheckConstraint(
            "warning_threshold >= 0 AND warning_threshold < code_count", name="ck_realm_options_warning_threshold"
        ),
        sa.CheckConstraint("setup_prompt IN ('off', 'offered', 'required')", name="ck_realm_options_setup_prompt"),
    )

    op.create_table(
        "recovery_failures",
        sa.Column("realm", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("realm", "user_id", name="pk_recovery_failures"),
    )

    op.create_table(
        "notification_outbox",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("realm", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(255), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("codes_left", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_notification_outbox_status"),
    )
    op.create_index("ix_notification_outbox_due", "notification_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_table("recovery_failures")
    op.drop_table("realm_options")
    op.drop_index("ix_backup_codes_status_created", table_name="backup_codes")
    op.drop_index("ix_backup_codes_user_set", table_name="backup_codes")
    # Pending sets were never valid for sign-in; without the status column they would become valid.
    op.execute("DELETE FROM backup_codes WHERE status = 'pending'")
    with op.batch_alter_table("backup_codes") as batch:
        batch.drop_constraint("ck_backup_codes_status", type_="check")
        batch.drop_column("status")
        batch.drop_column("set_id")
