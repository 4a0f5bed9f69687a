"""``desk_request_filed``: to the account's primary address when someone filed a recovery request for it at the
recovery desk: the case number, when and from where, and what to do if it was not them.

One mail serves both who filed it (the case number in writing) and, when that was someone else, the account's
owner (who learns of it and how to object). So it states what happened without taking sides, and says nothing of
what was sent: neither the phone number nor the organisation typed, which may be an impostor's.
"""

from __future__ import annotations

from .layout import Block, Code, Facts, Mail, Occurrence, client_facts, greeting, render, texts


def desk_request_filed(*, locale: str | None, first_name: str | None, event: Occurrence, case_number: str) -> Mail:
    """``event`` carries the request (IP address and browser as the sidecar saw them)."""
    _ = texts(locale)
    blocks: list[Block] = [
        _(
            "Someone asked the recovery desk to restore access to your account (realm %(realm)s), saying that they "
            "can no longer sign in with multi-factor authentication. The case number of this request is:",
            realm=event.realm,
        ),
        Code(case_number),
        Facts(client_facts(_, event)),
        _(
            "Nothing changes in your account because of this request. An operator checks the documents that were "
            "sent and calls back before deciding."
        ),
        _("If this was you, keep the case number at hand: the operator will ask for it."),
        _(
            "If this was not you, tell your operator or IT helpdesk at once and give them the case number: someone "
            "may be trying to take over your account."
        ),
    ]
    return render(_, _("A recovery request was filed for your account"), greeting(_, first_name), blocks)
