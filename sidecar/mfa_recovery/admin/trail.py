"""The audit trail for administrators: read by those whom Keycloak lets read the realm's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..audit.chain import Head
from ..audit.log import AuditEvent, AuditLog
from ..keycloak.access import KeycloakAccess
from .identity import AdminCall


@dataclass(frozen=True)
class AuditQuery:
    subject: str | None = None
    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    first: int = 0
    max: int = 50


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    first: int
    max: int


class AuditTrail:
    def __init__(self, keycloak: KeycloakAccess, audit: AuditLog) -> None:
        self._keycloak = keycloak
        self._audit = audit

    def head(self, call: AdminCall, realm: str) -> Head | None:
        """The chain's head (see :mod:`mfa_recovery.audit.chain`), for those who may read the realm's events."""
        self._keycloak.as_admin(call.administrator).probe_events(realm)
        return self._audit.head()

    def search(self, call: AdminCall, realm: str, query: AuditQuery) -> AuditPage:
        """The realm's events matching ``query``, newest first, with the total count."""
        self._keycloak.as_admin(call.administrator).probe_events(realm)
        events, total = self._audit.search(
            realm,
            subject=query.subject,
            action=query.action,
            actor=query.actor,
            since=query.since,
            until=query.until,
            first=query.first,
            max=query.max,
        )
        return AuditPage(events=list(events), total=total, first=query.first, max=query.max)
