"""``backup_codes_activated``: to the primary address when a new set of backup codes replaced the old one."""

from __future__ import annotations

from .layout import Facts, Mail, Occurrence, client_facts, greeting, render, texts

TEXT = {
    "en": {
        "subject": "New backup codes for your account",
        "intro": (
            "A new set of backup codes was activated for your account (realm {realm}). "
            "The codes you had before no longer work."
        ),
        "count": "Backup codes in the new set",
        "if_not": (
            "If this was not you, someone knows your password and signed in as you. "
            "Change your password at once, make a new set of backup codes yourself, "
            "and tell your supervisor or IT helpdesk."
        ),
    },
    "nl": {
        "subject": "Nieuwe back-upcodes voor je account",
        "intro": (
            "Er is een nieuwe set back-upcodes geactiveerd voor je account (realm {realm}). "
            "De codes die je eerder had, werken niet meer."
        ),
        "count": "Back-upcodes in de nieuwe set",
        "if_not": (
            "Was jij dit niet? Dan kent iemand je wachtwoord en heeft diegene als jou ingelogd. "
            "Wijzig meteen je wachtwoord, maak zelf een nieuwe set back-upcodes aan "
            "en meld het bij je leidinggevende of de IT-helpdesk."
        ),
    },
}


def backup_codes_activated(
    *, locale: str | None, first_name: str | None, event: Occurrence, codes_in_set: int | None
) -> Mail:
    language, t = texts(TEXT, locale)
    count = t["unknown"] if codes_in_set is None else str(codes_in_set)
    blocks = [
        t["intro"].format(realm=event.realm),
        Facts([*client_facts(t, language, event), (t["count"], count)]),
        t["if_you"],
        t["if_not"],
    ]
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
