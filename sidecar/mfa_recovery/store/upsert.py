"""Race-safe "insert if missing" and "insert or update" for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError


def insert_if_missing(conn: Connection, table: Table, values: Mapping[str, Any], keys: Sequence[str]) -> bool:
    """Insert ``values`` unless a row with the same ``keys`` exists; a concurrent insert is not an error. Whether
    this call inserted it."""
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        module = sqlite if dialect == "sqlite" else postgresql
        statement = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
        # RETURNING, not the rowcount: on PostgreSQL (psycopg, SQLAlchemy 2.1) the rowcount of this statement is -1.
        return conn.execute(statement.returning(*(table.c[name] for name in keys))).first() is not None
    try:  # pragma: no cover - other databases are not supported, but stay correct
        with conn.begin_nested():
            conn.execute(insert(table).values(**values))
    except IntegrityError:  # pragma: no cover
        return False
    return True  # pragma: no cover


def upsert(conn: Connection, table: Table, values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Insert ``values`` or, when a row with the same ``keys`` exists, update its other columns."""
    changes = {name: value for name, value in values.items() if name not in keys}
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        module = sqlite if dialect == "sqlite" else postgresql
        statement = module.insert(table).values(**values)
        conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))
        return
    insert_if_missing(conn, table, values, keys)  # pragma: no cover
    where = [table.c[name] == values[name] for name in keys]  # pragma: no cover
    conn.execute(update(table).where(*where).values(**changes))  # pragma: no cover
