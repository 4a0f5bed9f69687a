"""``email_code``: the code to sign in, sent at once to the verified backup address."""

from __future__ import annotations

from .layout import Code, Facts, Mail, Occurrence, client_facts, greeting, render, texts

TEXT = {
    "en": {
        "subject": "Your code to sign in",
        "intro": (
            "Someone is signing in to the account {username} (realm {realm}) and asked for a code at this backup "
            "email address. Your code:"
        ),
        "valid": "The code is valid for {minutes} minutes and works once.",
        "if_not": (
            "If this was not you, someone knows your password. Do not share this code with anyone, "
            "change your password at once, and tell your supervisor or IT helpdesk."
        ),
    },
    "nl": {
        "subject": "Je code om in te loggen",
        "intro": (
            "Iemand logt in op het account {username} (realm {realm}) en heeft een code aangevraagd op dit "
            "back-upe-mailadres. Je code:"
        ),
        "valid": "De code is {minutes} minuten geldig en werkt één keer.",
        "if_not": (
            "Was jij dit niet? Dan kent iemand je wachtwoord. Geef deze code aan niemand, "
            "wijzig meteen je wachtwoord en meld het bij je leidinggevende of de IT-helpdesk."
        ),
    },
}


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
    language, t = texts(TEXT, locale)
    blocks = [
        t["intro"].format(username=username, realm=event.realm),
        Code(code),
        t["valid"].format(minutes=valid_minutes),
        Facts(client_facts(t, language, event)),
        t["if_not"],
    ]
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
