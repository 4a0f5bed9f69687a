"""``mfa_disabled``: to the primary address when an administrator switched off the user's multi-factor
authentication (removed their authenticator)."""

from __future__ import annotations

from .layout import Facts, Mail, Occurrence, format_when, greeting, render, texts

TEXT = {
    "en": {
        "subject": "Multi-factor authentication was switched off for your account",
        "intro": (
            "An administrator switched off multi-factor authentication for your account (realm {realm}): "
            "the authenticator app you signed in with no longer works for this account."
        ),
        "enrol_again": "The next time you sign in, you will be asked to set up an authenticator app again.",
        "password_only": (
            "Until multi-factor authentication is set up again, your password alone protects your account."
        ),
        "if_not": "If you did not expect this, contact the IT helpdesk.",
    },
    "nl": {
        "subject": "Multifactorauthenticatie is uitgeschakeld voor je account",
        "intro": (
            "Een beheerder heeft multifactorauthenticatie voor je account (realm {realm}) uitgeschakeld: "
            "de authenticator-app waarmee je inlogde, werkt niet meer voor dit account."
        ),
        "enrol_again": "Als je de volgende keer inlogt, stel je opnieuw een authenticator-app in.",
        "password_only": (
            "Tot multifactorauthenticatie opnieuw is ingesteld, beschermt alleen je wachtwoord je account."
        ),
        "if_not": "Had je dit niet verwacht? Neem dan contact op met de IT-helpdesk.",
    },
}


def mfa_disabled(*, locale: str | None, first_name: str | None, event: Occurrence, enrol_again: bool) -> Mail:
    """Says that an administrator did it (not who) and when; the administrator's IP address and browser are not
    the employee's business and are not shown."""
    language, t = texts(TEXT, locale)
    blocks = [
        t["intro"].format(realm=event.realm),
        Facts([(t["when"], format_when(event.occurred_at, language))]),
        t["enrol_again"] if enrol_again else t["password_only"],
        t["if_not"],
    ]
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
