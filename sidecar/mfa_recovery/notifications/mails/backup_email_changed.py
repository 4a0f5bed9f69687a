"""``backup_email_changed``: to the primary address when a new backup address was verified."""

from __future__ import annotations

from .layout import Facts, Mail, Occurrence, client_facts, greeting, render, texts

TEXT = {
    "en": {
        "subject": "Your backup email address was changed",
        "intro": "The backup email address of your account (realm {realm}) was changed.",
        "new": "New backup address",
        "old": "Previous backup address",
        "none": "none",
        "if_not": (
            "If this was not you, someone knows your password and can now receive sign-in codes. "
            "Change your password at once, set up your own backup email address again, "
            "and tell your supervisor or IT helpdesk."
        ),
    },
    "nl": {
        "subject": "Je back-upe-mailadres is gewijzigd",
        "intro": "Het back-upe-mailadres van je account (realm {realm}) is gewijzigd.",
        "new": "Nieuw back-upadres",
        "old": "Vorig back-upadres",
        "none": "geen",
        "if_not": (
            "Was jij dit niet? Dan kent iemand je wachtwoord en kan diegene nu inlogcodes ontvangen. "
            "Wijzig meteen je wachtwoord, stel je eigen back-upe-mailadres opnieuw in "
            "en meld het bij je leidinggevende of de IT-helpdesk."
        ),
    },
}


def backup_email_changed(
    *,
    locale: str | None,
    first_name: str | None,
    event: Occurrence,
    address_hint: str | None,
    previous_hint: str | None,
) -> Mail:
    """The hints are masked addresses (``j•••@example.org``)."""
    language, t = texts(TEXT, locale)
    facts = [
        (t["new"], address_hint or t["unknown"]),
        (t["old"], previous_hint or t["none"]),
        *client_facts(t, language, event),
    ]
    blocks = [t["intro"].format(realm=event.realm), Facts(facts), t["if_you"], t["if_not"]]
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
