"""``backup_email_changed``: to the primary address when a new backup address was verified."""

from __future__ import annotations

from .layout import Block, Facts, Mail, Occurrence, client_facts, greeting, render, texts


def backup_email_changed(
    *,
    locale: str | None,
    first_name: str | None,
    event: Occurrence,
    address_hint: str | None,
    previous_hint: str | None,
) -> Mail:
    """The hints are masked addresses (``j•••@example.org``)."""
    _ = texts(locale)
    facts = [
        (_("New backup address"), address_hint or _("unknown")),
        (_("Previous backup address"), previous_hint or _("none")),
        *client_facts(_, event),
    ]
    blocks: list[Block] = [
        _("The backup email address of your account (realm %(realm)s) was changed.", realm=event.realm),
        Facts(facts),
        _("If this was you, you need not do anything."),
        _(
            "If this was not you, someone knows your password and can now receive sign-in codes. "
            "Change your password at once, set up your own backup email address again, "
            "and tell your supervisor or IT helpdesk."
        ),
    ]
    return render(_, _("Your backup email address was changed"), greeting(_, first_name), blocks)
