"""``email_code``: the code to sign in, sent at once to the verified backup address."""

from __future__ import annotations

from .layout import Block, Code, Facts, Mail, Occurrence, client_facts, greeting, render, texts


def email_code(
    *,
    locale: str | None,
    first_name: str | None,
    username: str,
    code: str,
    valid_minutes: int,
    event: Occurrence,
) -> Mail:
    """``code`` as shown to the user (``1234 5678``)."""
    _ = texts(locale)
    blocks: list[Block] = [
        _(
            "Someone is signing in to the account %(username)s (realm %(realm)s) and asked for a code at this "
            "backup email address. Your code:",
            username=username,
            realm=event.realm,
        ),
        Code(code),
        _("The code is valid for %(minutes)s minutes and works once.", minutes=valid_minutes),
        Facts(client_facts(_, event)),
        _(
            "If this was not you, someone knows your password. Do not share this code with anyone, "
            "change your password at once, and tell your supervisor or IT helpdesk."
        ),
    ]
    return render(_, _("Your code to sign in"), greeting(_, first_name), blocks)
