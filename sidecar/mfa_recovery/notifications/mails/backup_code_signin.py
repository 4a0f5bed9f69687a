"""``backup_code_signin``: to the primary address after a sign-in with a backup code."""

from __future__ import annotations

from .layout import Block, Facts, Mail, Occurrence, client_facts, greeting, render, texts


def backup_code_signin(
    *,
    locale: str | None,
    first_name: str | None,
    event: Occurrence,
    codes_left: int | None,
    warning_threshold: int | None = None,
) -> Mail:
    _ = texts(locale)
    left = _("unknown") if codes_left is None else str(codes_left)
    blocks: list[Block] = [
        _("Someone signed in to your account (realm %(realm)s) with one of your backup codes.", realm=event.realm),
        Facts([*client_facts(_, event), (_("Backup codes left"), left)]),
        _("If this was you, you need not do anything."),
    ]
    if codes_left is not None and warning_threshold is not None and codes_left <= warning_threshold:
        blocks.append(_("You have few backup codes left: make a new set the next time you sign in."))
    blocks.append(
        _(
            "If this was not you, someone knows your password and one of your backup codes. "
            "Change your password at once, make a new set of backup codes (the old ones then stop working), "
            "and tell your supervisor or IT helpdesk."
        )
    )
    return render(_, _("Signed in with a backup code"), greeting(_, first_name), blocks)
