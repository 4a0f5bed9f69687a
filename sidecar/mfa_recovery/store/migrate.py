"""Apply the packaged Alembic migrations programmatically."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from .engine import make_engine, sqlite_path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@contextmanager
def _migration_lock(database_url: str, engine: Engine) -> Iterator[None]:
    """Serialise concurrent upgrades (e.g. several gunicorn workers starting at once)."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".migrate-lock"), "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(727310001)"))
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(727310001)"))
                conn.commit()
    else:
        yield


def upgrade(database_url: str, revision: str = "head", engine: Engine | None = None) -> None:
    """Bring the schema of ``database_url`` up to ``revision``."""
    _run(command.upgrade, database_url, revision, engine)


def downgrade(database_url: str, revision: str, engine: Engine | None = None) -> None:
    """Take the schema of ``database_url`` back to ``revision`` (for operators rolling back a release)."""
    _run(command.downgrade, database_url, revision, engine)


def _run(action: Callable[[Config, str], None], database_url: str, revision: str, engine: Engine | None) -> None:
    own_engine = engine is None
    engine = engine or make_engine(database_url)
    try:
        with _migration_lock(database_url, engine), engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            action(config, revision)
    finally:
        if own_engine:
            engine.dispose()
