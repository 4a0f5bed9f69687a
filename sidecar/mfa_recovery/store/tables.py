"""Table definitions (SQLAlchemy Core). The schema itself is created by the Alembic migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
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
    # A set of codes issued together. Codes of a 'pending' set (shown on the setup page, not yet confirmed)
    # are never valid for sign-in; confirming turns them 'active'. Rows from before 0002 are active, no set id.
    Column("set_id", String(64), nullable=True),
    Column("status", String(16), nullable=False, server_default="active"),
    UniqueConstraint("realm", "user_id", "lookup", name="uq_backup_codes_lookup"),
    CheckConstraint("status IN ('pending', 'active')", name="ck_backup_codes_status"),
    Index("ix_backup_codes_user_set", "realm", "user_id", "set_id"),
    Index("ix_backup_codes_status_created", "status", "created_at"),
)

realm_options = Table(
    "realm_options",
    metadata,
    Column("realm", String(255), primary_key=True),
    Column("code_count", Integer, nullable=False, server_default="10"),
    Column("warning_threshold", Integer, nullable=False, server_default="3"),
    Column("setup_prompt", String(16), nullable=False, server_default="offered"),
    Column("reenrol_otp_after_recovery", Boolean, nullable=False, server_default=false()),
    Column("email_method_enabled", Boolean, nullable=False, server_default=true()),
    Column("reenrol_otp_after_email_recovery", Boolean, nullable=False, server_default=true()),
    Column("supervisor_attribute", String(64), nullable=False, server_default="supervisor"),
    Column("desk_four_eyes", Boolean, nullable=False, server_default=false()),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(255), nullable=False),
    CheckConstraint("code_count BETWEEN 5 AND 20", name="ck_realm_options_code_count"),
    CheckConstraint(
        "warning_threshold >= 0 AND warning_threshold < code_count", name="ck_realm_options_warning_threshold"
    ),
    CheckConstraint("setup_prompt IN ('off', 'offered', 'required')", name="ck_realm_options_setup_prompt"),
)

recovery_failures = Table(
    "recovery_failures",
    metadata,
    Column("realm", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("realm", "user_id", name="pk_recovery_failures"),
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("realm", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("ip", String(255), nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("codes_left", Integer, nullable=True),
    Column("status", String(16), nullable=False, server_default="pending"),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("last_error", String(500), nullable=True),
    # What the mail of the kind needs beyond the columns above (e.g. a masked address, the supervisor's id).
    Column("detail", JSON, nullable=True),
    CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_notification_outbox_status"),
    Index("ix_notification_outbox_due", "status", "next_attempt_at"),
    Index("ix_notification_outbox_user_kind", "realm", "user_id", "kind", "occurred_at"),
)

# The user's verified backup email address (one per user; a newly verified one replaces it).
backup_emails = Table(
    "backup_emails",
    metadata,
    Column("realm", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("address", String(254), nullable=False),
    Column("verified_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("realm", "user_id", name="pk_backup_emails"),
)

# Codes sent by mail: to sign in ('sign_in', to the verified backup address) or to verify a new backup address
# ('verify_address', to that address, which waits here until verified). Only the HMAC of the code is stored.
email_challenges = Table(
    "email_challenges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("realm", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("address", String(254), nullable=False),
    Column("code_lookup", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("consumed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("purpose IN ('sign_in', 'verify_address')", name="ck_email_challenges_purpose"),
    Index("ix_email_challenges_user", "realm", "user_id", "purpose", "created_at"),
    Index("ix_email_challenges_created", "created_at"),
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
    # The hash chain (mfa_recovery.audit.chain): hex SHA-256 of the previous row and of this one. Every row has
    # them; the columns are nullable only because they were added to a table with rows (migration 0004 chained
    # those). The table is append-only: triggers refuse UPDATE and DELETE.
    Column("prev_hash", String(64), nullable=True),
    Column("hash", String(64), nullable=True),
    # How ``hash`` was made: "hmac-sha256" (keyed with the audit key); NULL for rows from before the key existed.
    Column("hash_scheme", String(16), nullable=True),
    Index("uq_audit_events_prev_hash", "prev_hash", unique=True),  # no two rows chain onto the same one
    Index("ix_audit_events_realm_id", "realm", "id"),
    Index("ix_audit_events_realm_subject_id", "realm", "subject", "id"),
)

# What the "force MFA" policy changed in Keycloak, to restore it exactly when switched off (one per realm).
policy_snapshots = Table(
    "policy_snapshots",
    metadata,
    Column("realm", String(255), primary_key=True),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("taken_by", String(255), nullable=False),
    Column("snapshot", JSON, nullable=False),
)

# Sessions of the admin web UI. ``id`` is the SHA-256 (hex) of the random 256-bit key in the browser's cookie, so
# the table alone opens no session. ``data``: the Keycloak tokens, the CSRF secret, the language, a sign-in under
# way, messages for the next page. ``expires_at``: the earlier of 8 h after ``created_at`` and 30 min after the last
# request (moved on at every request); expired rows are deleted as new sessions start.
ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("realm", String(255), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# The recovery desk (desk/): a case per recovery request, as the requester typed it. ``id`` is random (32 hex digits,
# made before the row: the sealed documents are bound to it); ``case_number`` is what people read out
# (``XXXX-XXXX-XXXX``). ``account_key``: the account as typed, case-folded, for the per-account limit.
# ``account_lookup``: whether the account was found in Keycloak (``matched_user_id``), not found, or Keycloak could
# not be asked. ``documents_deleted_at``: when the documents went (decided, or purged).
desk_cases = Table(
    "desk_cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_number", String(14), nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("realm", String(255), nullable=False),
    Column("account", String(255), nullable=False),
    Column("account_key", String(255), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("kvk_number", String(8), nullable=False),
    Column("language", String(8), nullable=False),
    Column("ip", String(255), nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ocr_checked", Boolean, nullable=False),
    Column("account_lookup", String(16), nullable=False),
    Column("matched_user_id", String(255), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(255), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("documents_deleted_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("case_number", name="uq_desk_cases_case_number"),
    CheckConstraint("status IN ('open', 'approved', 'rejected')", name="ck_desk_cases_status"),
    CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="ck_desk_cases_decided"),
    CheckConstraint("account_lookup IN ('matched', 'no_match', 'unavailable')", name="ck_desk_cases_account_lookup"),
    Index("ix_desk_cases_account", "realm", "account_key", "created_at"),
    Index("ix_desk_cases_created_at", "created_at"),
    Index("ix_desk_cases_status", "status", "documents_deleted_at"),
)

# A case's documents: what they are and which file of the vault (desk/vault.py) holds each, sealed. Never the
# content. One of each kind per case.
desk_documents = Table(
    "desk_documents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("desk_cases.id", name="fk_desk_documents_case"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("file_name", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "kind", name="uq_desk_documents_case_kind"),
    UniqueConstraint("file_name", name="uq_desk_documents_file_name"),
    CheckConstraint("kind IN ('kvk_extract', 'id_document', 'selfie')", name="ck_desk_documents_kind"),
)

# First approvals of open desk cases in realms with four-eyes: which operator approved resetting which user, so a
# second, different operator's approval of the same user can carry the case out.
desk_approvals = Table(
    "desk_approvals",
    metadata,
    Column("case_id", String(32), ForeignKey("desk_cases.id", name="fk_desk_approvals_case"), nullable=False),
    Column("operator_id", String(255), nullable=False),
    Column("operator", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("case_id", "operator_id", name="pk_desk_approvals"),
)

# Operators' notes on a desk case (what the call back found), kept with the case and deleted with it.
desk_notes = Table(
    "desk_notes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("desk_cases.id", name="fk_desk_notes_case"), nullable=False),
    Column("operator", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_desk_notes_case", "case_id", "created_at"),
)
