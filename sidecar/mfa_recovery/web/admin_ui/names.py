"""The names the admin UI gives to the audit trail's actions and outcomes, and to the actions one can filter on."""

from __future__ import annotations

from flask_babel import gettext

from ...translations import N_

# Exact action names, or families (ending in ".").
ACTION_FILTERS = {
    "admin.": N_("All administrator actions"),
    "admin.disable_mfa": N_("Disable MFA"),
    "admin.revoke_backup_codes": N_("Revoke backup codes"),
    "admin.remove_backup_email": N_("Remove backup email"),
    "admin.policy": N_("Force MFA for all users"),
    "realm_options.update": N_("Recovery options changed"),
    "recovery.": N_("Recovery started"),
    "backup_code.": N_("Backup code sign-ins"),
    "backup_codes.": N_("Backup code setup"),
    "email_code.": N_("Emailed codes"),
    "backup_email.": N_("Backup email setup"),
    "supervisor.": N_("Supervisor notices"),
    "notification.": N_("Notification emails"),
}
ACTIONS = {
    "admin.disable_mfa": N_("Disable MFA"),
    "admin.revoke_backup_codes": N_("Revoke backup codes"),
    "admin.remove_backup_email": N_("Remove backup email"),
    "admin.policy": N_("Force MFA for all users"),
    "realm_options.update": N_("Recovery options changed"),
    "recovery.start": N_("Recovery started"),
    "backup_code.verify": N_("Sign-in with a backup code"),
    "backup_code.issue": N_("Backup codes issued"),
    "backup_codes.setup_started": N_("Backup code setup started"),
    "backup_codes.issued": N_("Backup codes issued"),
    "email_code.sent": N_("Code sent to the backup email"),
    "email_code.verify": N_("Sign-in with an emailed code"),
    "backup_email.verification_sent": N_("Backup email verification sent"),
    "backup_email.verified": N_("Backup email verified"),
    "supervisor.lookup": N_("Supervisor looked up"),
    "supervisor.notified": N_("Supervisor notified"),
    "notification.sent": N_("Notification email sent"),
    "notification.failed": N_("Notification email failed"),
}
OUTCOMES = {
    "ok": N_("Done"),
    "attempted": N_("Attempted"),
    "succeeded": N_("Done"),
    "changed": N_("Changed"),
    "unchanged": N_("Unchanged"),
    "failed": N_("Failed"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "refused": N_("Refused"),
    "locked": N_("Locked"),
    "expired": N_("Expired"),
    "sent": N_("Sent"),
}
NAMES = {"filter": ACTION_FILTERS, "action": ACTIONS, "outcome": OUTCOMES}


def label(kind: str, value: str | None) -> str:
    """The name of ``value`` (``kind``: ``filter``, ``action`` or ``outcome``) in the page's language where there
    is one, else the value as it is."""
    if value is None:
        return ""
    name = NAMES[kind].get(value)
    return gettext(name) if name is not None else value
