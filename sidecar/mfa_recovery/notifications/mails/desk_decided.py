"""``desk_approved`` and ``desk_rejected``: to the account's primary address when an operator of the recovery desk
decided the case filed for it. Approved: multi-factor authentication and the backup methods were removed, and the
next sign-in sets them up again. Rejected: nothing changed, with the operator's reason.

Both go to the account's owner, who may not be who filed the request, so each says what to do if they did not ask.
"""

from __future__ import annotations

from .layout import Block, Code, Facts, Mail, Occurrence, greeting, render, texts, when_fact


def desk_approved(*, locale: str | None, first_name: str | None, event: Occurrence, case_number: str) -> Mail:
    _ = texts(locale)
    blocks: list[Block] = [
        _(
            "The recovery desk approved the recovery request for your account (realm %(realm)s). The case number is:",
            realm=event.realm,
        ),
        Code(case_number),
        Facts([when_fact(_, event)]),
        _(
            "Your authenticator app, your backup codes and your backup email address no longer work for this "
            "account. The next time you sign in, you will be asked to set up an authenticator app again."
        ),
        _(
            "If you did not ask for this, contact your supervisor or the IT helpdesk at once and give them the "
            "case number: someone may be trying to take over your account."
        ),
    ]
    return render(_, _("Your recovery request was approved"), greeting(_, first_name), blocks)


def desk_rejected(
    *, locale: str | None, first_name: str | None, event: Occurrence, case_number: str, reason: str
) -> Mail:
    _ = texts(locale)
    blocks: list[Block] = [
        _(
            "The recovery desk rejected the recovery request for your account (realm %(realm)s). Nothing changed "
            "in your account. The case number is:",
            realm=event.realm,
        ),
        Code(case_number),
        Facts([when_fact(_, event), (_("Reason"), reason)]),
        _("If you still cannot sign in, you may file a new request, or contact your operator or IT helpdesk."),
        _(
            "If you did not ask for this, tell your operator or IT helpdesk and give them the case number: someone "
            "may be trying to take over your account."
        ),
    ]
    return render(_, _("Your recovery request was rejected"), greeting(_, first_name), blocks)
