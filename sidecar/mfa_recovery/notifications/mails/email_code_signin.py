"""``email_code_signin``: to the primary address after a sign-in with a code sent to the backup address."""

from __future__ import annotations

from .layout import Facts, Mail, Occurrence, client_facts, greeting, render, texts

TEXT = {
    "en": {
        "subject": "Signed in with a code sent to your backup email address",
        "intro": "Someone signed in to your account (realm {realm}) with a code sent to your backup email address.",
        "address": "Backup address",
        "if_not": (
            "If this was not you, someone knows your password and can read the mail at your backup address. "
            "Change your password at once, set up your backup email address again, "
            "and tell your supervisor or IT helpdesk."
        ),
    },
    "nl": {
        "subject": "Ingelogd met een code via je back-upe-mailadres",
        "intro": (
            "Er is ingelogd op je account (realm {realm}) met een code die naar je back-upe-mailadres is gestuurd."
        ),
        "address": "Back-upadres",
        "if_not": (
            "Was jij dit niet? Dan kent iemand je wachtwoord en kan diegene de mail op je back-upadres lezen. "
            "Wijzig meteen je wachtwoord, stel je back-upe-mailadres opnieuw in "
            "en meld het bij je leidinggevende of de IT-helpdesk."
        ),
    },
}


def email_code_signin(
    *,
    locale: str | None,
    first_name: str | None,
    event: Occurrence,
    address_hint: str | None,
) -> Mail:
    """``address_hint`` is the masked backup address (``j•••@example.org``)."""
    language, t = texts(TEXT, locale)
    facts = [*client_facts(t, language, event), (t["address"], address_hint or t["unknown"])]
    blocks = [t["intro"].format(realm=event.realm), Facts(facts), t["if_you"], t["if_not"]]
    return render(language, t["subject"], greeting(t, first_name), blocks, t["footer"])
