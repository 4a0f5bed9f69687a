"""``address_verification``: the code that confirms a new backup address, sent at once to that address."""

from __future__ import annotations

from .layout import Code, Mail, greeting, render, texts

TEXT = {
    "en": {
        "subject": "Confirm your backup email address",
        "intro": (
            "The account {username} (realm {realm}) asked to use this address as its backup email address. "
            "To confirm, enter this code:"
        ),
        "valid": "The code is valid for {minutes} minutes.",
        "if_not": "If this was not you, ignore this message; the address will not be used.",
    },
    "nl": {
        "subject": "Bevestig je back-upe-mailadres",
        "intro": (
            "Het account {username} (realm {realm}) wil dit adres gebruiken als back-upe-mailadres. "
            "Voer ter bevestiging deze code in:"
        ),
        "valid": "De code is {minutes} minuten geldig.",
        "if_not": "Was jij dit niet? Negeer dan dit bericht; het adres wordt niet gebruikt.",
    },
}


def address_verification(
    *, locale: str | None, first_name: str | None, username: str, realm: str, code: str, valid_minutes: int
) -> Mail:
    """``code`` as shown to the user (``1234 5678``)."""
    language, t = texts(TEXT, locale)
    blocks = [
        t["intro"].format(username=username, realm=realm),
        Code(code),
        t["valid"].format(minutes=valid_minutes),
        t["if_not"],
    ]
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
