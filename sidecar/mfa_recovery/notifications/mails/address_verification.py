"""``address_verification``: the code that confirms a new backup address, sent at once to that address."""

from __future__ import annotations

from .layout import Block, Code, Mail, greeting, render, texts


def address_verification(
    *, locale: str | None, first_name: str | None, username: str, realm: str, code: str, valid_minutes: int
) -> Mail:
    """``code`` as shown to the user (``1234 5678``)."""
    _ = texts(locale)
    blocks: list[Block] = [
        _(
            "The account %(username)s (realm %(realm)s) asked to use this address as its backup email address. "
            "To confirm, enter this code:",
            username=username,
            realm=realm,
        ),
        Code(code),
        _("The code is valid for %(minutes)s minutes.", minutes=valid_minutes),
        _("If this was not you, ignore this message; the address will not be used."),
    ]
    return render(_, _("Confirm your backup email address"), greeting(_, first_name), blocks)
