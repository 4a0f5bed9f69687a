import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mfa_recovery.notifications.outbox import Outbox
from mfa_recovery.notifications.repository import SqlOutboxRepository
from mfa_recovery.realm_options.repository import SqlRealmOptionsRepository
from mfa_recovery.store import migrate
from mfa_recovery.store.engine import make_engine


def test_upgrade_creates_schema_and_parent_directory(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "store.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    migrate.upgrade(url)  # second run is a no-op
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert {
        "backup_codes",
        "used_bridge_tokens",
        "audit_events",
        "realm_options",
        "recovery_failures",
        "notification_outbox",
        "backup_emails",
        "email_challenges",
    } <= tables
    assert version == [("0008_desk_decisions",)]


def test_sqlite_connections_use_wal_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_migrations_ship_with_the_package() -> None:
    versions = migrate.MIGRATIONS_DIR / "versions"
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
    assert (versions / "0001_initial.py").is_file()
    assert (versions / "0002_recovery_setup.py").is_file()
    assert (versions / "0003_backup_email.py").is_file()


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, tuple[Any, ...]]:
    return {row[1]: row for row in conn.execute(f"PRAGMA table_info({table})")}


def _indexes(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA index_list({table})")}


def test_fresh_schema_of_the_backup_email(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    migrate.upgrade(f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        assert set(_columns(conn, "backup_emails")) == {"realm", "user_id", "address", "verified_at", "updated_at"}
        assert set(_columns(conn, "email_challenges")) == {
            "id", "realm", "user_id", "purpose", "address", "code_lookup", "created_at", "expires_at",
            "failed_attempts", "consumed_at",
        }  # fmt: skip
        assert "ix_email_challenges_user" in _indexes(conn, "email_challenges")
        assert "detail" in _columns(conn, "notification_outbox")
        assert "ix_notification_outbox_user_kind" in _indexes(conn, "notification_outbox")
        # One backup address per user, and only the two purposes.
        conn.execute("INSERT INTO backup_emails VALUES ('acme', 'u', 'a@example.org', '2025-01-01', '2025-01-01')")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO backup_emails VALUES ('acme', 'u', 'b@example.org', '2025-01-01', '2025-01-01')")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO email_challenges (realm, user_id, purpose, address, code_lookup, created_at, expires_at)"
                " VALUES ('acme', 'u', 'reset', 'a@example.org', 'x', '2025-01-01', '2025-01-01')"
            )


def test_upgrade_from_0002_keeps_the_data_and_adds_the_defaults(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url, "0002_recovery_setup")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO realm_options (realm, code_count, warning_threshold, setup_prompt, reenrol_otp_after_recovery,"
            " updated_at, updated_by) VALUES ('acme', 8, 2, 'required', 1, '2025-11-26 10:00:00', 'cli:op')"
        )
        conn.execute(
            "INSERT INTO notification_outbox (realm, user_id, kind, occurred_at, codes_left, next_attempt_at)"
            " VALUES ('acme', 'u', 'backup_code_signin', '2025-11-26 10:00:00', 4, '2025-11-26 10:00:00')"
        )
    migrate.upgrade(url)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0008_desk_decisions",)]
    engine = make_engine(url)
    try:
        options = SqlRealmOptionsRepository(engine).find("acme")
        assert options is not None
        assert (options.code_count, options.warning_threshold, options.setup_prompt) == (8, 2, "required")
        assert options.reenrol_otp_after_recovery is True
        assert options.email_method_enabled is True and options.reenrol_otp_after_email_recovery is True
        assert options.supervisor_attribute == "supervisor"
        [row] = Outbox(SqlOutboxRepository(engine), lambda: datetime(2025, 11, 26, 11, tzinfo=UTC)).due()
        assert (row.kind, row.codes_left, row.detail) == ("backup_code_signin", 4, {})
    finally:
        engine.dispose()


def test_downgrade_to_0002(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO realm_options (realm, updated_at, updated_by, email_method_enabled) VALUES"
            " ('acme', '2025-11-26', 'cli:op', 0)"
        )
        conn.execute(
            "INSERT INTO notification_outbox (realm, user_id, kind, occurred_at, next_attempt_at, detail) VALUES"
            " ('acme', 'u', 'supervisor_notice', '2025-11-26', '2025-11-26', '{}'),"
            " ('acme', 'u', 'backup_code_signin', '2025-11-26', '2025-11-26', NULL)"
        )
    migrate.downgrade(url, "0002_recovery_setup")
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not {"backup_emails", "email_challenges"} & tables
        assert "email_method_enabled" not in _columns(conn, "realm_options")
        assert "detail" not in _columns(conn, "notification_outbox")
        assert conn.execute("SELECT realm, code_count FROM realm_options").fetchall() == [("acme", 10)]
        assert conn.execute("SELECT kind FROM notification_outbox").fetchall() == [("backup_code_signin",)]
        assert "ix_notification_outbox_due" in _indexes(conn, "notification_outbox")
        with pytest.raises(sqlite3.IntegrityError):  # the CHECK constraints survived the rebuild
            conn.execute("UPDATE realm_options SET code_count = 30")
    migrate.upgrade(url)  # and up again
