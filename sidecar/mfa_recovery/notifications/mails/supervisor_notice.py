"""``supervisor_notice``: to the supervisor of an employee who cannot sign in, in the supervisor's language."""

from __future__ import annotations

from .layout import Block, Facts, Mail, Occurrence, client_facts, greeting, render, texts


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
    _ = texts(locale)
    name = employee_name.strip() or employee_username
    facts = [
        (_("Employee"), name),
        (_("Username"), employee_username),
        *client_facts(_, event),
    ]
    blocks: list[Block] = [
        _(
            "%(name)s cannot sign in to their account (realm %(realm)s): they have no access to their authenticator "
            "app, no backup code and no backup email address, and asked us to let you know.",
            name=name,
            realm=event.realm,
        ),
        Facts(facts),
        _("The employee's page: %(link)s", link=link),
        _(
            "What to do: first check that it is really %(name)s who asks, for example by phone on a number you "
            "already know. Only then disable their MFA (or ask your IT helpdesk to), so that they can sign in "
            "and set up a new authenticator app.",
            name=name,
        ),
        _(
            "If %(name)s did not ask for help, someone else knows their password: do not disable anything, "
            "and tell your IT helpdesk.",
            name=name,
        ),
    ]
    return render(_, _("%(name)s cannot sign in and asks for your help", name=name), greeting(_, first_name), blocks)
