"""``backup_code_signin``: to the primary address after a sign-in with a backup code."""

from __future__ import annotations

from .layout import Block, Facts, Mail, Occurrence, client_facts, greeting, render, texts

TEXT = {
    "en": {
        "subject": "Signed in with a backup code",
        "intro": "Someone signed in to your account (realm {realm}) with one of your backup codes.",
        "left": "Backup codes left",
        "low": "You have few backup codes left: make a new set the next time you sign in.",
        "if_not": (
            "If this was not you, someone knows your password and one of your backup codes. "
            "Change your password at once, make a new set of backup codes (the old ones then stop working), "
            "and tell your supervisor or IT helpdesk."
        ),
    },
    "nl": {
        "subject": "Ingelogd met een back-upcode",
        "intro": "Er is ingelogd op je account (realm {realm}) met een van je back-upcodes.",
        "left": "Back-upcodes over",
        "low": "Je hebt nog maar weinig back-upcodes: maak een nieuwe set aan als je weer inlogt.",
        "if_not": (
            "Was jij dit niet? Dan kent iemand je wachtwoord en een van je back-upcodes. "
            "Wijzig meteen je wachtwoord, maak een nieuwe set back-upcodes aan (de oude werken dan niet meer) "
            "en meld het bij je leidinggevende of de IT-helpdesk."
        ),
    },
}


def backup_code_signin(
    *,
    locale: str | None,
    first_name: str | None,
    event: Occurrence,
    codes_left: int | None,
    warning_threshold: int | None = None,
) -> Mail:
    language, t = texts(TEXT, locale)
    left = t["unknown"] if codes_left is None else str(codes_left)
    blocks: list[Block] = [
        t["intro"].format(realm=event.realm),
        Facts([*client_facts(t, language, event), (t["left"], left)]),
        t["if_you"],
    ]
    if codes_left is not None and warning_threshold is not None and codes_left <= warning_threshold:
        blocks.append(t["low"])
    blocks.append(t["if_not"])
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
