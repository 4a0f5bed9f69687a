"""``email_code_signin``: to the primary address after a sign-in with a code sent to the backup address."""

from __future__ import annotations

from .layout import Block, Facts, Mail, Occurrence, client_facts, greeting, render, texts


def email_code_signin(
    *,
    locale: str | None,
    first_name: str | None,
    event: Occurrence,
    address_hint: str | None,
) -> Mail:
    """``address_hint`` is the masked backup address (``j•••@example.org``)."""
    _ = texts(locale)
    facts = [*client_facts(_, event), (_("Backup address"), address_hint or _("unknown"))]
    blocks: list[Block] = [
        _(
            "Someone signed in to your account (realm %(realm)s) with a code sent to your backup email address.",
            realm=event.realm,
        ),
        Facts(facts),
        _("If this was you, you need not do anything."),
        _(
            "If this was not you, someone knows your password and can read the mail at your backup address. "
            "Change your password at once, set up your backup email address again, "
            "and tell your supervisor or IT helpdesk."
        ),
    ]
    return render(_, _("Signed in with a code sent to your backup email address"), greeting(_, first_name), blocks)
