"""The start of every recovery sign-in: which methods the user has (backup codes, a code by mail)."""

from __future__ import annotations

from dataclasses import dataclass

from .audit.log import AuditTransactions, UnitOfWork, record_call
from .backup_codes.service import BackupCodeService
from .backup_email.address import mask
from .backup_email.sign_in import EmailCodeSignIn
from .caller import Caller

BACKUP_CODE = "backup_code"
EMAIL = "email"


@dataclass(frozen=True)
class RecoveryOptions:
    methods: list[str]
    backup_codes_remaining: int
    email_hint: str | None = None  # the masked backup address, when "email" is a method


class RecoveryStart:
    def __init__(self, codes: BackupCodeService, email: EmailCodeSignIn, audit: AuditTransactions) -> None:
        self._codes = codes
        self._email = email
        self._audit = audit

    def start(self, caller: Caller, work: UnitOfWork | None = None) -> RecoveryOptions:
        """What the user can recover with; the start of every recovery attempt is audited, in one transaction of
        ``work`` (by default the audit log's), after the reads."""
        remaining = self._codes.remaining(caller.realm, caller.user_id)
        methods = [BACKUP_CODE] if remaining > 0 else []
        address = self._email.available(caller.realm, caller.user_id)
        if address is not None:
            methods.append(EMAIL)
        with (work or self._audit).transaction() as audited:
            record_call(audited, caller, "recovery.start", "ok", {"methods": methods})
        return RecoveryOptions(methods, remaining, mask(address) if address else None)
