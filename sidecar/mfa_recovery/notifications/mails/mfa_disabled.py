"""``mfa_disabled``: to the primary address when an administrator switched off the user's multi-factor
authentication (removed their authenticator): when, by whom, and from where the administrator's request came."""

from __future__ import annotations

from .layout import Facts, Mail, Occurrence, client_facts, greeting, render, texts

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
        "by": "By administrator",
        "if_not": (
            "If you did not ask for this, or do not know this administrator, contact your supervisor or the IT "
            "helpdesk at once: someone may be trying to take over your account."
        ),
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
        "by": "Door beheerder",
        "if_not": (
            "Heb je hier niet om gevraagd, of ken je deze beheerder niet? Neem dan meteen contact op met je "
            "leidinggevende of de IT-helpdesk: misschien probeert iemand je account over te nemen."
        ),
    },
}


def mfa_disabled(
    *, locale: str | None, first_name: str | None, event: Occurrence, enrol_again: bool, administrator: str | None
) -> Mail:
    """``event`` carries the administrator's request (IP address and browser as the sidecar saw it)."""
    language, t = texts(TEXT, locale)
    blocks = [
        t["intro"].format(realm=event.realm),
        Facts([(t["by"], administrator or t["unknown"]), *client_facts(t, language, event)]),
        t["enrol_again"] if enrol_again else t["password_only"],
        t["if_not"],
    ]
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
