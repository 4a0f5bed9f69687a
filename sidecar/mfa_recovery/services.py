"""Wiring: build the object graph for one process from :class:`Settings`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import Engine

from .attempt_limits.limiter import FailureLimiter, FailurePolicy
from .audit.log import AuditLog
from .backup_codes.hashing import CodeHasher
from .backup_codes.repository import SqlBackupCodeRepository
from .backup_codes.service import BackupCodeService
from .backup_codes.setup import BackupCodeSetup
from .backup_codes.sign_in import BackupCodeSignIn
from .bridge_auth.replay import StoreReplayGuard
from .config import Settings
from .notifications.directory import ContactDirectory
from .notifications.outbox import Outbox
from .notifications.sender import NotificationSender
from .notifications.smtp import SmtpConfig, SmtpOverrides, send
from .realm_options.repository import SqlRealmOptionsRepository
from .realm_options.service import RealmOptionsService
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
    hasher: CodeHasher
    realm_options: RealmOptionsService
    failure_limiter: FailureLimiter
    outbox: Outbox
    setup: BackupCodeSetup
    sign_in: BackupCodeSignIn

    def notification_sender(
        self, directory: ContactDirectory, transport: Callable[[SmtpConfig, EmailMessage], None] = send
    ) -> NotificationSender:
        """A sender over this store's outbox; ``directory`` is Keycloak (or a fake in tests)."""
        return NotificationSender(
            self.outbox,
            directory,
            SmtpOverrides.from_settings(self.settings),
            self.audit,
            warning_threshold=lambda realm: self.realm_options.get(realm).warning_threshold,
            transport=transport,
        )


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
    hasher = hasher or CodeHasher()
    audit = AuditLog(engine, clock)
    backup_codes = BackupCodeService(SqlBackupCodeRepository(engine), hasher, settings.code_pepper, clock)
    realm_options = RealmOptionsService(
        SqlRealmOptionsRepository(engine), audit, clock, default_code_count=settings.backup_code_count
    )
    failure_limiter = FailureLimiter(
        engine,
        FailurePolicy(
            limit=settings.failure_limit,
            window_seconds=settings.failure_window_seconds,
            lockout_seconds=settings.lockout_seconds,
        ),
        clock,
    )
    outbox = Outbox(engine, clock)
    return Services(
        settings=settings,
        engine=engine,
        backup_codes=backup_codes,
        replay_guard=StoreReplayGuard(engine, clock),
        audit=audit,
        clock=clock,
        hasher=hasher,
        realm_options=realm_options,
        failure_limiter=failure_limiter,
        outbox=outbox,
        setup=BackupCodeSetup(backup_codes, realm_options, audit),
        sign_in=BackupCodeSignIn(backup_codes, hasher, failure_limiter, realm_options, outbox, audit, clock),
    )
