"""``supervisor_notice``: to the supervisor of an employee who cannot sign in, in the supervisor's language."""

from __future__ import annotations

from .layout import Facts, Mail, Occurrence, client_facts, greeting, render, texts

TEXT = {
    "en": {
        "subject": "{name} cannot sign in and asks for your help",
        "intro": (
            "{name} cannot sign in to their account (realm {realm}): they have no access to their authenticator "
            "app, no backup code and no backup email address, and asked us to let you know."
        ),
        "employee": "Employee",
        "username": "Username",
        "page": "The employee's page:",
        "todo": (
            "What to do: first check that it is really {name} who asks, for example by phone on a number you "
            "already know. Only then disable their MFA (or ask your IT helpdesk to), so that they can sign in "
            "and set up a new authenticator app."
        ),
        "if_not": (
            "If {name} did not ask for help, someone else knows their password: do not disable anything, "
            "and tell your IT helpdesk."
        ),
    },
    "nl": {
        "subject": "{name} kan niet inloggen en vraagt je om hulp",
        "intro": (
            "{name} kan niet inloggen op het account (realm {realm}): de authenticator-app is niet beschikbaar en "
            "er is geen back-upcode en geen back-upe-mailadres. We laten het je op verzoek weten."
        ),
        "employee": "Medewerker",
        "username": "Gebruikersnaam",
        "page": "De pagina van de medewerker:",
        "todo": (
            "Wat te doen: controleer eerst of het echt {name} is die dit vraagt, bijvoorbeeld door te bellen naar "
            "een nummer dat je al kent. Schakel pas daarna de MFA uit (of vraag de IT-helpdesk dat te doen), "
            "zodat {name} kan inloggen en een nieuwe authenticator-app kan instellen."
        ),
        "if_not": (
            "Heeft {name} niet om hulp gevraagd? Dan kent iemand anders het wachtwoord: schakel niets uit "
            "en meld het bij de IT-helpdesk."
        ),
    },
}


def supervisor_notice(
    *,
    locale: str | None,
    first_name: str | None,
    employee_name: str,
    employee_username: str,
    link: str,
    event: Occurrence,
) -> Mail:
    """``locale`` and ``first_name`` are the supervisor's."""
    language, t = texts(TEXT, locale)
    name = employee_name.strip() or employee_username
    facts = [
        (t["employee"], name),
        (t["username"], employee_username),
        *client_facts(t, language, event),
    ]
    blocks = [
        t["intro"].format(name=name, realm=event.realm),
        Facts(facts),
        f"{t['page']} {link}",
        t["todo"].format(name=name),
        t["if_not"].format(name=name),
    ]
    return render(language, t["subject"].format(name=name), greeting(t, first_name), blocks, t["footer"])
