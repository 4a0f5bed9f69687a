"""Append-only audit log in the ``audit_events`` table."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, insert, select

from ..caller import Caller
from ..store.tables import audit_events

logger = logging.getLogger(__name__)


class Auditor(Protocol):
    """What a feature needs to record an event; :class:`AuditLog` is the implementation."""

    def record(
        self,
        realm: str | None,
        actor: str,
        subject: str | None,
        action: str,
        outcome: str,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> None: ...


class AuditLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def record(
        self,
        realm: str | None,
        actor: str,
        subject: str | None,
        action: str,
        outcome: str,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> None:
        row = {
            "occurred_at": self._clock(),
            "realm": realm,
            "actor": actor,
            "subject": subject,
            "action": action,
            "outcome": outcome,
            "detail": dict(detail) if detail is not None else None,
            "ip": ip,
            "user_agent": user_agent,
        }
        with self._engine.begin() as conn:
            conn.execute(insert(audit_events).values(**row))
        logger.info("audit %s %s realm=%s actor=%s subject=%s", action, outcome, realm, actor, subject)

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """Newest events first (for operators and tests)."""
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def record_call(
    auditor: Auditor,
    caller: Caller,
    action: str,
    outcome: str,
    detail: Mapping[str, Any] | None = None,
    *,
    actor: str = "bridge",
) -> None:
    """Record an event of a bridge call: realm, user, sign-in attempt, IP and browser as Keycloak saw them."""
    auditor.record(
        realm=caller.realm,
        actor=actor,
        subject=caller.user_id,
        action=action,
        outcome=outcome,
        detail={"attempt": caller.attempt, **(detail or {})},
        ip=caller.ip,
        user_agent=caller.user_agent,
    )
