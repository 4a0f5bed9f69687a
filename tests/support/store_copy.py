"""A copy of the sidecar's live store, as someone with database access (or a backup) holds it: a SQLite file copied
with SQLite's backup API, or a PostgreSQL database dumped with ``pg_dump`` into a new database of the same cluster.
Tests change the copy, never the store the running sidecar uses."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def copy_of_store(database_url: str, folder: Path) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a copy of the store at ``database_url``; a PostgreSQL copy is dropped after."""
    if database_url.startswith("sqlite:///"):
        file = folder / "store-copy.db"
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as live, sqlite3.connect(file) as target:
            live.backup(target)
        yield f"sqlite:///{file}"
        return
    source = make_url(database_url)
    name = f"{source.database}_copy_{secrets.token_hex(3)}"
    with _connect(database_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    copy = source.set(database=name)
    try:
        dump = subprocess.run(
            [_pg_tool("pg_dump"), "--no-owner", "--dbname", _libpq(database_url)], capture_output=True, check=True
        )
        subprocess.run(
            [_pg_tool("psql"), "-q", "-v", "ON_ERROR_STOP=1", "--dbname", _libpq(copy.render_as_string(False))],
            input=dump.stdout,
            capture_output=True,
            check=True,
        )
        yield copy.render_as_string(hide_password=False)
    finally:
        with _connect(database_url) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def drop_audit_guard(database_url: str) -> None:
    """Remove the triggers that keep ``audit_events`` append-only, as someone with the database owner's rights can."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
                for trigger in list(triggers):
                    conn.execute(text(f'DROP TRIGGER "{trigger}"'))
            else:
                triggers = conn.execute(
                    text("SELECT DISTINCT trigger_name FROM information_schema.triggers"
                         " WHERE event_object_table = 'audit_events'")
                ).scalars()  # fmt: skip
                for trigger in list(triggers):
                    conn.execute(text(f'DROP TRIGGER "{trigger}" ON audit_events'))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events"))
    finally:
        engine.dispose()


def _libpq(database_url: str) -> str:
    """The URL as PostgreSQL's own tools read it (no SQLAlchemy driver name)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _connect(database_url: str) -> psycopg.Connection:
    """A connection to the cluster's maintenance database (one cannot drop or copy the database one is in)."""
    return psycopg.connect(_libpq(database_url).rsplit("/", 1)[0] + "/mfa_recovery_test", autocommit=True)


def _pg_tool(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda path: int(path.parts[-3]))
    assert candidates, f"no {name} under /usr/lib/postgresql (Debian's package postgresql)"
    return str(candidates[-1])
