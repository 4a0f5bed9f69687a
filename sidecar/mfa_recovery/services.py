"""Wiring: build the object graph for one process from :class:`Settings`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from .audit.log import AuditLog
from .backup_codes.hashing import CodeHasher
from .backup_codes.repository import SqlBackupCodeRepository
from .backup_codes.service import BackupCodeService
from .bridge_auth.replay import StoreReplayGuard
from .config import Settings
from .store import migrate
from .store.engine import make_engine


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    backup_codes: BackupCodeService
    replay_guard: StoreReplayGuard
    audit: AuditLog
    clock: Callable[[], datetime]


def build_services(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    hasher: CodeHasher | None = None,
    run_migrations: bool = True,
) -> Services:
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate.upgrade(settings.database_url, engine=engine)
    return Services(
        settings=settings,
        engine=engine,
        backup_codes=BackupCodeService(
            SqlBackupCodeRepository(engine), hasher or CodeHasher(), settings.code_pepper, clock
        ),
        replay_guard=StoreReplayGuard(engine, clock),
        audit=AuditLog(engine, clock),
        clock=clock,
    )
