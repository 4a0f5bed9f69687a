"""Who is calling the admin API: the administrator named by their Keycloak token, and where the call came from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..audit.log import Auditor
from .errors import AdminError

MASTER_REALM = "master"


@dataclass(frozen=True)
class Administrator:
    """The holder of a verified admin token. ``realm`` is the realm that issued it: the one the call names, or
    ``master``. ``token`` is sent on to Keycloak, so Keycloak's permissions decide every action."""

    subject: str
    username: str
    realm: str
    token: str = field(repr=False)

    @property
    def actor(self) -> str:
        """How the audit trail names the administrator: ``admin:<issuer realm>/<username>``."""
        return f"admin:{self.realm}/{self.username}"


@dataclass(frozen=True)
class AdminCall:
    """One request of an administrator: who (from the token) and from where (as the sidecar saw the request)."""

    administrator: Administrator
    ip: str | None = None
    user_agent: str | None = None

    @property
    def actor(self) -> str:
        return self.administrator.actor

    def record(
        self,
        audit: Auditor,
        realm: str,
        subject: str | None,
        action: str,
        outcome: str,
        detail: Mapping[str, Any],
    ) -> None:
        """Audit an admin action; the detail always names the administrator's Keycloak id."""
        audit.record(
            realm=realm,
            actor=self.actor,
            subject=subject,
            action=action,
            outcome=outcome,
            detail={**detail, "admin_id": self.administrator.subject},
            ip=self.ip,
            user_agent=self.user_agent,
        )

    @contextmanager
    def audited(
        self, audit: Auditor, realm: str, subject: str | None, action: str, detail: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Around the steps of an action: when one fails, the action is audited as ``failed`` with the error and
        whatever ``detail`` (which the steps may update) says was done by then; then the error goes on."""
        try:
            yield detail
        except AdminError as exc:
            self.record(audit, realm, subject, action, "failed", {**detail, "error": exc.error})
            raise
