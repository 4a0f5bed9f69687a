"""Employees as an administrator sees them: Keycloak's users (read with the administrator's token, so Keycloak
decides who may see whom) with the sidecar's MFA facts about them, read for a whole page at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..audit.log import AuditEvent, AuditLog
from ..backup_codes.service import BackupCodeService
from ..backup_email import address as addresses
from ..backup_email.limits import MAX_WRONG_TRIES
from ..backup_email.repository import BackupEmailRepository
from ..keycloak.access import KeycloakAccess
from ..keycloak.rest import may_manage
from .errors import Forbidden
from .identity import AdminCall

DETAIL_EVENTS = 20


@dataclass(frozen=True)
class BackupEmailState:
    set: bool  # a verified address, or one waiting for its code
    verified: bool
    address_hint: str | None  # of the verified address, else of the waiting one


@dataclass(frozen=True)
class LastRecovery:
    at: datetime
    action: str
    outcome: str


@dataclass(frozen=True)
class MfaState:
    otp: bool
    backup_codes_remaining: int
    backup_email: BackupEmailState
    last_recovery: LastRecovery | None


@dataclass(frozen=True)
class Employee:
    id: str
    username: str
    first_name: str | None
    last_name: str | None
    email: str | None
    enabled: bool
    mfa: MfaState


@dataclass(frozen=True)
class EmployeePage:
    employees: list[Employee]
    total: int
    first: int
    max: int


@dataclass(frozen=True)
class EmployeeDetail:
    employee: Employee
    required_actions: list[str]
    events: list[AuditEvent] | None  # None: the administrator may not read the realm's events
    may_manage: bool = False  # Keycloak lets this administrator manage the employee (``access.manage``)


class Employees:
    def __init__(
        self,
        keycloak: KeycloakAccess,
        backup_codes: BackupCodeService,
        backup_emails: BackupEmailRepository,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self._keycloak = keycloak
        self._backup_codes = backup_codes
        self._backup_emails = backup_emails
        self._audit = audit
        self._clock = clock

    def page(self, call: AdminCall, realm: str, search: str | None, first: int, max_results: int) -> EmployeePage:
        """One users call and one count call to Keycloak, then one query per table of the sidecar."""
        keycloak = self._keycloak.as_admin(call.administrator)
        users = [user for user in keycloak.users(realm, search, first, max_results) if _id(user)]
        total = keycloak.count_users(realm, search)
        return EmployeePage(employees=self._employees(realm, users), total=total, first=first, max=max_results)

    def one(self, call: AdminCall, realm: str, user_id: str) -> EmployeeDetail:
        """The employee, their required actions, and the newest audit events about them when the administrator
        may read the realm's events (the rule of the audit trail)."""
        keycloak = self._keycloak.as_admin(call.administrator)
        user = keycloak.user(realm, user_id)
        (employee,) = self._employees(realm, [user])
        try:
            keycloak.probe_events(realm)
        except Forbidden:
            events = None
        else:
            events, _ = self._audit.search(realm, subject=employee.id, max=DETAIL_EVENTS)
        actions = [str(action) for action in user.get("requiredActions") or []]
        return EmployeeDetail(employee=employee, required_actions=actions, events=events, may_manage=may_manage(user))

    def _employees(self, realm: str, users: Sequence[Mapping[str, Any]]) -> list[Employee]:
        ids = [_id(user) for user in users]
        remaining = self._backup_codes.remaining_for_users(realm, ids)
        verified = self._backup_emails.backup_emails_for_users(realm, ids)
        waiting = self._backup_emails.waiting_addresses_for_users(realm, ids, self._clock(), MAX_WRONG_TRIES)
        recoveries = self._audit.latest_for_subjects(realm, ids)
        employees = []
        for user in users:
            user_id = _id(user)
            address = verified[user_id].address if user_id in verified else waiting.get(user_id)
            recovery = recoveries.get(user_id)
            mfa = MfaState(
                otp=user.get("totp") is True,
                backup_codes_remaining=remaining.get(user_id, 0),
                backup_email=BackupEmailState(
                    set=address is not None,
                    verified=user_id in verified,
                    address_hint=addresses.mask(address) if address else None,
                ),
                last_recovery=None
                if recovery is None
                else LastRecovery(at=recovery.occurred_at, action=recovery.action, outcome=recovery.outcome),
            )
            employees.append(
                Employee(
                    id=user_id,
                    username=str(user.get("username") or ""),
                    first_name=_text(user.get("firstName")),
                    last_name=_text(user.get("lastName")),
                    email=_text(user.get("email")),
                    enabled=user.get("enabled") is not False,
                    mfa=mfa,
                )
            )
        return employees


def _id(user: Mapping[str, Any]) -> str:
    value = user.get("id")
    return value if isinstance(value, str) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
