"""Wiring: build the object graph for one process from :class:`Settings`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from .admin.employees import Employees
from .admin.mfa_actions import MfaActions
from .admin.policy import Policy
from .admin.repository import SqlPolicySnapshotRepository
from .admin.trail import AuditTrail
from .attempt_limits.attempts import AttemptLimits, SourceLimits
from .attempt_limits.limiter import FailureLimiter, FailurePolicy
from .attempt_limits.repository import FailureRepository, SqlFailureRepository
from .audit.log import AuditLog
from .audit.repository import SqlAuditRepository
from .backup_codes.hashing import CodeHasher
from .backup_codes.repository import SqlBackupCodeRepository
from .backup_codes.service import BackupCodeService
from .backup_codes.setup import BackupCodeSetup
from .backup_codes.sign_in import BackupCodeSignIn
from .backup_email.challenges import EmailChallenges
from .backup_email.repository import SqlBackupEmailRepository
from .backup_email.setup import BackupEmailSetup
from .backup_email.sign_in import EmailCodeSignIn
from .bridge_auth.replay import StoreReplayGuard
from .bridge_auth.repository import SqlUsedTokenRepository
from .bridge_auth.tokens import BridgeTokenVerifier
from .config import Settings
from .desk.bsn import BsnReader, legible_bsns
from .desk.decisions import DeskDecisions
from .desk.documents import DocumentLimits
from .desk.filing import SOURCE_WINDOW_SECONDS, DeskFiling, DeskLimits
from .desk.intake import DeskIntake
from .desk.purge import DeskPurge
from .desk.repository import SqlDeskRepository
from .desk.vault import DocumentVault, VaultFiles
from .directory import Directory
from .keycloak.access import KeycloakAccess, RestKeycloakAccess
from .keycloak.admin_tokens import AdminTokenVerifier
from .keycloak.directory import KeycloakDirectory
from .keycloak.realm_keys import RealmKeyCache
from .keycloak.service_account import ServiceAccountTokens
from .notifications.mailer import Mailer, Transport
from .notifications.outbox import Outbox
from .notifications.repository import SqlOutboxRepository
from .notifications.sender import NotificationSender
from .notifications.smtp import SmtpOverrides, send, send_promptly
from .realm_options.repository import SqlRealmOptionsRepository
from .realm_options.service import RealmOptionsService
from .recovery_start import RecoveryStart
from .store import migrate
from .store.engine import make_engine
from .supervisor.service import SupervisorService

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def keycloak_directory(settings: Settings, access: RestKeycloakAccess | None = None) -> KeycloakDirectory:
    """Keycloak's users as the sidecar's service account sees them, through ``access`` (its cached token and
    connection pool) when given."""
    return KeycloakDirectory((access or keycloak_access(settings)).as_service())


def admin_token_verifier(settings: Settings, keys: RealmKeyCache | None = None) -> AdminTokenVerifier:
    """Keys from the internal URL, issuer checked against the public one (what browsers and tokens use)."""
    return AdminTokenVerifier(settings.keycloak_url, settings.issuer_base_url, settings.admin_clients, keys=keys)


def keycloak_access(settings: Settings) -> RestKeycloakAccess:
    """Keycloak's admin API as an administrator, or as the sidecar's service account."""
    tokens = ServiceAccountTokens(settings.keycloak_url, settings.keycloak_client_id, settings.keycloak_client_secret)
    return RestKeycloakAccess(settings.keycloak_url, tokens)


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    backup_codes: BackupCodeService
    replay_guard: StoreReplayGuard
    bridge_tokens: BridgeTokenVerifier
    audit: AuditLog
    clock: Callable[[], datetime]
    hasher: CodeHasher
    realm_options: RealmOptionsService
    failure_limiter: FailureLimiter
    outbox: Outbox
    setup: BackupCodeSetup
    sign_in: BackupCodeSignIn
    directory: Directory
    transport: Transport
    mailer: Mailer
    recovery: RecoveryStart
    backup_email: BackupEmailSetup
    email_sign_in: EmailCodeSignIn
    supervisor: SupervisorService
    # Admin API
    admin_tokens: AdminTokenVerifier
    admin_keycloak: KeycloakAccess  # Keycloak as an administrator (the admin UI reads ``access`` of a user)
    employees: Employees
    mfa_actions: MfaActions
    policy: Policy
    audit_trail: AuditTrail
    # Recovery desk: the purge of what it no longer needs (works with the desk off too); the intake, None while the
    # desk is off (production without MFA_RECOVERY_DESK_KEY; docs/desk.md)
    desk_purge: DeskPurge
    # The operators' side of the desk (admin API ``/admin/v1/desk/``)
    desk_decisions: DeskDecisions
    desk_intake: DeskIntake | None = None

    def notification_sender(
        self, directory: Directory | None = None, transport: Transport | None = None
    ) -> NotificationSender:
        """A sender over this store's outbox; by default through this process's directory and SMTP transport."""
        directory = directory or self.directory
        mailer = Mailer(directory, SmtpOverrides.from_settings(self.settings), transport or self.transport)
        return NotificationSender(
            self.outbox,
            directory,
            mailer,
            self.audit,
            warning_threshold=lambda realm: self.realm_options.get(realm).warning_threshold,
        )


def build_services(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    hasher: CodeHasher | None = None,
    run_migrations: bool = True,
    directory: Directory | None = None,
    transport: Transport | None = None,
    admin_keycloak: KeycloakAccess | None = None,
    admin_tokens: AdminTokenVerifier | None = None,
    realm_keys: RealmKeyCache | None = None,
    read_bsns: BsnReader | None = None,
) -> Services:
    """``directory``: Keycloak's users (default: a :class:`KeycloakDirectory` from the settings, sharing the
    service account's token and connections with the default ``admin_keycloak``; it connects only when asked
    something). ``transport``: how a built message reaches SMTP (tests pass a fake); by default
    the outbox sends with a patient timeout and mails with a code, sent during a request, with a short one.
    ``admin_keycloak`` and ``admin_tokens``: Keycloak as the admin API calls it, and the check of administrators'
    tokens (defaults from the settings; tests pass a fake Keycloak and a verifier over local keys). ``realm_keys``:
    the realms' signing keys, for bridge tokens and (unless ``admin_tokens`` is given) administrators' tokens;
    by default read from Keycloak's JWKS endpoints under ``settings.keycloak_url``. ``read_bsns``: the recovery
    desk's OCR (default: tesseract; tests pass a stand-in)."""
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate.upgrade(settings.database_url, engine=engine)
    hasher = hasher or CodeHasher()
    access = keycloak_access(settings)  # one service-account token and connection pool for the process
    directory = directory or keycloak_directory(settings, access)
    audit = AuditLog(SqlAuditRepository(engine), clock, settings.audit_key.encode("utf-8"))
    backup_codes = BackupCodeService(SqlBackupCodeRepository(engine), hasher, settings.code_pepper, clock)
    realm_options = RealmOptionsService(
        SqlRealmOptionsRepository(engine), audit, clock, default_code_count=settings.backup_code_count
    )
    failure_counts = SqlFailureRepository(engine)
    failure_limiter = FailureLimiter(
        failure_counts,
        FailurePolicy(
            limit=settings.failure_limit,
            window_seconds=settings.failure_window_seconds,
            lockout_seconds=settings.lockout_seconds,
        ),
        clock,
    )
    sources = SourceLimits.in_store(
        failure_counts,
        clock,
        failures=settings.source_failure_limit,
        mails=settings.source_mail_limit,
        notices=settings.source_notice_limit,
    )
    attempts = AttemptLimits(failure_limiter, sources.failures)
    outbox = Outbox(SqlOutboxRepository(engine), clock)
    mailer = Mailer(directory, SmtpOverrides.from_settings(settings), transport or send_promptly)
    email_store = SqlBackupEmailRepository(engine)
    challenges = EmailChallenges(email_store, mailer, settings.code_pepper, clock, sources.mails)
    email_sign_in = EmailCodeSignIn(
        email_store, challenges, backup_codes, attempts, realm_options, outbox, audit, clock
    )
    admin_keycloak = admin_keycloak or access
    policy = Policy(admin_keycloak, SqlPolicySnapshotRepository(engine), audit, clock)
    realm_keys = realm_keys or RealmKeyCache(settings.keycloak_url)
    replay_guard = StoreReplayGuard(SqlUsedTokenRepository(engine), clock)
    mfa_actions = MfaActions(admin_keycloak, policy, backup_codes, email_store, outbox, audit, clock)
    desk_purge = DeskPurge(
        SqlDeskRepository(engine),
        VaultFiles(settings.desk_dir),
        audit,
        clock,
        retention_days=settings.desk_retention_days,
    )
    desk_decisions = DeskDecisions(
        SqlDeskRepository(engine),
        DocumentVault(VaultFiles(settings.desk_dir), settings.desk_key) if settings.desk_key else None,
        desk_purge,
        admin_keycloak,
        mfa_actions,
        realm_options.get,
        directory,
        outbox,
        audit,
        clock,
        operator_realm=settings.desk_operator_realm,
        operator_role=settings.desk_operator_role,
    )
    return Services(
        settings=settings,
        engine=engine,
        backup_codes=backup_codes,
        replay_guard=replay_guard,
        bridge_tokens=BridgeTokenVerifier(realm_keys, replay_guard),
        audit=audit,
        clock=clock,
        hasher=hasher,
        realm_options=realm_options,
        failure_limiter=failure_limiter,
        outbox=outbox,
        setup=BackupCodeSetup(backup_codes, realm_options, audit, outbox, clock),
        sign_in=BackupCodeSignIn(backup_codes, hasher, attempts, realm_options, outbox, audit, clock),
        directory=directory,
        transport=transport or send,
        mailer=mailer,
        recovery=RecoveryStart(backup_codes, email_sign_in, audit),
        backup_email=BackupEmailSetup(email_store, challenges, realm_options, outbox, audit, clock),
        email_sign_in=email_sign_in,
        supervisor=SupervisorService(
            directory, realm_options, outbox, audit, clock, settings.employee_link_template, sources.notices
        ),
        admin_tokens=admin_tokens or admin_token_verifier(settings, realm_keys),
        admin_keycloak=admin_keycloak,
        employees=Employees(admin_keycloak, backup_codes, email_store, audit, clock),
        mfa_actions=mfa_actions,
        policy=policy,
        audit_trail=AuditTrail(admin_keycloak, audit),
        desk_purge=desk_purge,
        desk_decisions=desk_decisions,
        desk_intake=desk_intake(settings, engine, directory, audit, outbox, clock, failure_counts, read_bsns),
    )


def desk_intake(
    settings: Settings,
    engine: Engine,
    directory: Directory,
    audit: AuditLog,
    outbox: Outbox,
    clock: Callable[[], datetime],
    failure_counts: FailureRepository,
    read_bsns: BsnReader | None = None,
) -> DeskFiling | None:
    """The recovery desk's intake; None (the desk is off) without a document key."""
    if not settings.desk_key:
        logger.info("the recovery desk is off: MFA_RECOVERY_DESK_KEY is not set")
        return None
    per_source = FailurePolicy(
        limit=settings.desk_source_limit, window_seconds=SOURCE_WINDOW_SECONDS, lockout_seconds=SOURCE_WINDOW_SECONDS
    )
    limits = DeskLimits(
        documents=DocumentLimits(
            max_pdf_bytes=settings.desk_max_pdf_bytes, max_image_bytes=settings.desk_max_image_bytes
        ),
        account_cases_per_day=settings.desk_account_limit,
    )
    return DeskFiling(
        SqlDeskRepository(engine),
        DocumentVault(VaultFiles(settings.desk_dir), settings.desk_key),
        directory,
        audit,
        outbox,
        clock,
        per_source=FailureLimiter(failure_counts, per_source, clock),
        limits=limits,
        read_bsns=read_bsns or legible_bsns,
    )
