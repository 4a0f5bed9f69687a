"""Who is calling the admin API: the administrator named by their Keycloak token, and where the call came from."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..audit.log import Auditor
from .errors import AdminError

logger = logging.getLogger(__name__)

MASTER_REALM = "master"

# How an admin action ended, in the audit trail: first ``attempted``, then one of the others.
ATTEMPTED = "attempted"
SUCCEEDED = "succeeded"
UNCHANGED = "unchanged"
FAILED = "failed"
INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class Administrator:
    """The holder of a verified admin token. ``realm`` is the realm that issued it: the one the call names, or
    ``master``. ``token`` is sent on to Keycloak, so Keycloak's permissions decide every action."""

    subject: str
    username: str
    realm: str
    token: str = field(repr=False)
    # The token's realm roles (``realm_access.roles``, present while the realm's ``roles`` client scope is the
    # token's) and its ``email``: who is a recovery desk operator, and whose own case a desk case is.
    realm_roles: frozenset[str] = frozenset()
    email: str | None = None

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
        """Around the steps of an action that may change something: an ``attempted`` row first, so that the trail
        shows the attempt even when the process dies half-way. When a step fails, a ``failed`` row with the error
        and whatever ``detail`` (which the steps update as they go) says was done by then; then the error goes on.
        The caller records how it ended otherwise (:data:`SUCCEEDED` or :data:`UNCHANGED`)."""
        self.record(audit, realm, subject, action, ATTEMPTED, detail)
        try:
            yield detail
        except AdminError as exc:
            self.record(audit, realm, subject, action, FAILED, {**detail, "error": exc.error})
            raise
        except Exception:
            self._record_crash(audit, realm, subject, action, detail)
            raise

    def _record_crash(
        self, audit: Auditor, realm: str, subject: str | None, action: str, detail: dict[str, Any]
    ) -> None:
        """A failure that is no refusal (a bug, the store down): audited if the store lets us; the error that
        caused it is what the caller gets either way."""
        try:
            self.record(audit, realm, subject, action, FAILED, {**detail, "error": INTERNAL_ERROR})
        except Exception:
            logger.exception("cannot audit the failure of %s on %s/%s", action, realm, subject)
