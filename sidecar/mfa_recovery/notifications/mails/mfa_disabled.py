"""``mfa_disabled``: to the primary address when an administrator switched off the user's multi-factor
authentication (removed their authenticator): when, by whom, and from where the administrator's request came."""

from __future__ import annotations

from .layout import Block, Facts, Mail, Occurrence, client_facts, greeting, render, texts


def mfa_disabled(
    *, locale: str | None, first_name: str | None, event: Occurrence, enrol_again: bool, administrator: str | None
) -> Mail:
    """``event`` carries the administrator's request (IP address and browser as the sidecar saw it)."""
    _ = texts(locale)
    blocks: list[Block] = [
        _(
            "An administrator switched off multi-factor authentication for your account (realm %(realm)s): "
            "the authenticator app you signed in with no longer works for this account.",
            realm=event.realm,
        ),
        Facts([(_("By administrator"), administrator or _("unknown")), *client_facts(_, event)]),
        _("The next time you sign in, you will be asked to set up an authenticator app again.")
        if enrol_again
        else _("Until multi-factor authentication is set up again, your password alone protects your account."),
        _(
            "If you did not ask for this, or do not know this administrator, contact your supervisor or the IT "
            "helpdesk at once: someone may be trying to take over your account."
        ),
    ]
    return render(
        _, _("Multi-factor authentication was switched off for your account"), greeting(_, first_name), blocks
    )
