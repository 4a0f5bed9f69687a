"""``backup_codes_activated``: to the primary address when a new set of backup codes replaced the old one."""

from __future__ import annotations

from .layout import Block, Facts, Mail, Occurrence, client_facts, greeting, render, texts


def backup_codes_activated(
    *, locale: str | None, first_name: str | None, event: Occurrence, codes_in_set: int | None
) -> Mail:
    _ = texts(locale)
    count = _("unknown") if codes_in_set is None else str(codes_in_set)
    blocks: list[Block] = [
        _(
            "A new set of backup codes was activated for your account (realm %(realm)s). "
            "The codes you had before no longer work.",
            realm=event.realm,
        ),
        Facts([*client_facts(_, event), (_("Backup codes in the new set"), count)]),
        _("If this was you, you need not do anything."),
        _(
            "If this was not you, someone knows your password and signed in as you. "
            "Change your password at once, make a new set of backup codes yourself, "
            "and tell your supervisor or IT helpdesk."
        ),
    ]
    return render(_, _("New backup codes for your account"), greeting(_, first_name), blocks)
