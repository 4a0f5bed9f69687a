"""What an administrator may do to one employee's MFA: switch it off, revoke the backup codes, remove the backup
email. Keycloak's changes are made with the administrator's token; the sidecar's own data is changed only after
Keycloak said, for that token, that the user may be managed (``access.manage``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..audit.log import Auditor
from ..backup_codes.service import BackupCodeService
from ..backup_email import address as addresses
from ..backup_email.repository import BackupEmailRepository
from ..caller import Caller
from ..keycloak.access import KeycloakAccess
from ..keycloak.rest import BACKUP_CODES_CREDENTIAL, CONFIGURE_TOTP, OTP_CREDENTIAL, KeycloakApi, may_manage
from ..notifications.notices import queue_notice
from ..notifications.outbox import MFA_DISABLED, Outbox
from . import inputs
from .errors import Forbidden, MfaForced
from .identity import SUCCEEDED, UNCHANGED, AdminCall
from .policy import Policy

DISABLE_MFA = "admin.disable_mfa"
REVOKE_BACKUP_CODES = "admin.revoke_backup_codes"
REMOVE_BACKUP_EMAIL = "admin.remove_backup_email"


@dataclass(frozen=True)
class DisabledMfa:
    removed_credentials: int  # OTP credentials
    enrol_again: bool
    required_action_added: bool


@dataclass(frozen=True)
class RevokedBackupCodes:
    codes_revoked: int
    markers_removed: int


@dataclass(frozen=True)
class RemovedBackupEmail:
    removed: bool
    address_hint: str | None
    codes_ended: int


class MfaActions:
    def __init__(
        self,
        keycloak: KeycloakAccess,
        policy: Policy,
        backup_codes: BackupCodeService,
        backup_emails: BackupEmailRepository,
        outbox: Outbox,
        audit: Auditor,
        clock: Callable[[], datetime],
    ) -> None:
        self._keycloak = keycloak
        self._policy = policy
        self._backup_codes = backup_codes
        self._backup_emails = backup_emails
        self._outbox = outbox
        self._audit = audit
        self._clock = clock

    def disable_mfa(self, call: AdminCall, realm: str, user_id: str, reason: Any, enrol_again: bool) -> DisabledMfa:
        """Remove every OTP credential of the user; with ``enrol_again`` add ``CONFIGURE_TOTP``. Refused while the
        realm forces MFA. The employee is told by mail when a credential was removed."""
        text = inputs.reason(reason, required=True)
        detail: dict[str, Any] = {"reason": text, "enrol_again": enrol_again, "removed": 0}
        with call.audited(self._audit, realm, user_id, DISABLE_MFA, detail):
            keycloak = self._keycloak.as_admin(call.administrator)
            keycloak.user(realm, user_id)  # 404 or 403 before anything else
            if self._policy.is_forced(realm):
                raise MfaForced("MFA is forced for every user of this realm; stop forcing it first")
            added = remove_otp(keycloak, realm, user_id, detail, enrol_again=enrol_again)
        changed = detail["removed"] > 0 or added
        call.record(self._audit, realm, user_id, DISABLE_MFA, SUCCEEDED if changed else UNCHANGED, detail)
        if detail["removed"]:
            queue_notice(
                self._outbox,
                self._audit,
                self._clock,
                Caller(realm=realm, user_id=user_id, ip=call.ip, user_agent=call.user_agent),
                MFA_DISABLED,
                detail={"enrol_again": enrol_again, "administrator": call.administrator.username},
            )
        return DisabledMfa(detail["removed"], enrol_again, added)

    def revoke_backup_codes(self, call: AdminCall, realm: str, user_id: str, reason: Any) -> RevokedBackupCodes:
        """Delete the user's backup codes (active and pending) and the ``mfa-recovery-backup-codes`` credential
        that shows them in the account console."""
        detail: dict[str, Any] = {"reason": inputs.reason(reason, required=False), "revoked": 0, "markers_removed": 0}
        with call.audited(self._audit, realm, user_id, REVOKE_BACKUP_CODES, detail):
            self._revoke_codes(self._may_manage(call, realm, user_id), realm, user_id, detail)
        changed = detail["revoked"] > 0 or detail["markers_removed"] > 0
        call.record(self._audit, realm, user_id, REVOKE_BACKUP_CODES, SUCCEEDED if changed else UNCHANGED, detail)
        return RevokedBackupCodes(detail["revoked"], detail["markers_removed"])

    def remove_backup_email(self, call: AdminCall, realm: str, user_id: str, reason: Any) -> RemovedBackupEmail:
        """Delete the user's backup address and end its live codes (and a code for an address waiting to be
        verified)."""
        detail: dict[str, Any] = {"reason": inputs.reason(reason, required=False)}
        with call.audited(self._audit, realm, user_id, REMOVE_BACKUP_EMAIL, detail):
            self._may_manage(call, realm, user_id)
            removed = self._backup_emails.remove(realm, user_id, self._clock())
        hint = addresses.mask(removed.address) if removed.address else None
        detail.update(address_hint=hint, codes_ended=removed.codes_ended)
        changed = removed.address is not None or removed.codes_ended > 0
        call.record(self._audit, realm, user_id, REMOVE_BACKUP_EMAIL, SUCCEEDED if changed else UNCHANGED, detail)
        return RemovedBackupEmail(removed.address is not None, hint, removed.codes_ended)

    def reset_for_enrolment(self, keycloak: KeycloakApi, realm: str, user_id: str, detail: dict[str, Any]) -> None:
        """Remove every second factor of the user and make them enrol again at the next sign-in: the OTP
        credentials (``CONFIGURE_TOTP`` added), the backup codes with their marker, and the backup address. Also
        while the realm forces MFA: enrolment is what forcing demands. ``keycloak`` must be the caller's own, and
        Keycloak must have said that they may manage the user (:func:`may_manage`) before this is called, because
        the sidecar's own data changes here too. ``detail`` counts each step as it goes (``removed``, ``revoked``,
        ``markers_removed``, ``backup_email_removed``, ``codes_ended``, ``required_action_added``)."""
        detail.setdefault("removed", 0)
        detail.setdefault("revoked", 0)
        detail.setdefault("markers_removed", 0)
        detail["required_action_added"] = remove_otp(keycloak, realm, user_id, detail, enrol_again=True)
        self._revoke_codes(keycloak, realm, user_id, detail)
        removed = self._backup_emails.remove(realm, user_id, self._clock())
        detail["backup_email_removed"] = removed.address is not None
        detail["codes_ended"] = removed.codes_ended

    def _revoke_codes(self, keycloak: KeycloakApi, realm: str, user_id: str, detail: dict[str, Any]) -> None:
        detail["revoked"] = self._backup_codes.revoke(realm, user_id)
        _delete_credentials(keycloak, realm, user_id, BACKUP_CODES_CREDENTIAL, detail, "markers_removed")

    def _may_manage(self, call: AdminCall, realm: str, user_id: str) -> KeycloakApi:
        """Keycloak for the administrator, once it said (``access.manage`` of the user) that they may manage the
        user: the answer Keycloak gives its own console."""
        keycloak = self._keycloak.as_admin(call.administrator)
        if not may_manage(keycloak.user(realm, user_id)):
            raise Forbidden("Keycloak does not let your account manage this user")
        return keycloak


def remove_otp(keycloak: KeycloakApi, realm: str, user_id: str, detail: dict[str, Any], *, enrol_again: bool) -> bool:
    """Delete the user's OTP credentials (counted in ``detail["removed"]``); with ``enrol_again`` add
    ``CONFIGURE_TOTP``. True when the required action was added."""
    _delete_credentials(keycloak, realm, user_id, OTP_CREDENTIAL, detail, "removed")
    return enrol_again and keycloak.add_required_action(realm, user_id, CONFIGURE_TOTP)


def _delete_credentials(
    keycloak: KeycloakApi, realm: str, user_id: str, kind: str, detail: dict[str, Any], counter: str
) -> None:
    """Delete the user's credentials of type ``kind``, counting each in ``detail[counter]`` as it goes (so a
    failure half-way is audited with what was removed by then)."""
    for credential in keycloak.credentials(realm, user_id):
        if credential.get("type") == kind and isinstance(credential.get("id"), str):
            keycloak.delete_credential(realm, user_id, credential["id"])
            detail[counter] += 1
