import sqlite3
from pathlib import Path

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
    } <= tables
    assert version == [("0002_recovery_setup",)]


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
