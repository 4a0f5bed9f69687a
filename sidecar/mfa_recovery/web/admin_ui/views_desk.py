"""The recovery desk for operators: the queue of open cases, a case with its documents, the realm's administrators
to match the requester against, notes from the call back, and the decision (approve or reject, with a reason).

Operators sign in to the UI of the operator realm (``/ui/realms/master/desk`` by default). Every page is the desk's
domain service (``DeskDecisions``), called with the operator's own token: it refuses anyone who is not an operator,
and Keycloak decides what the operator may read and change in the case's realm."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import g, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...admin import inputs
from ...admin.errors import Forbidden, InvalidInput, KeycloakUnavailable
from ...admin.identity import AdminCall
from ...admin.inputs import MAX_REASON_LENGTH
from ...desk.decisions import (
    MAX_NOTE_LENGTH,
    AlreadyApproved,
    CaseDecided,
    Decision,
    OwnCase,
    RealmAdministrator,
)
from ...desk.intake import DocumentKind
from ...desk.repository import OPEN
from ...translations import N_
from ..context import services
from . import auth
from .blueprint import bp
from .forms import FieldError
from .pages import flash, redirect_to, render, url

DOCUMENT_NAMES = {
    DocumentKind.KVK_EXTRACT: N_("Chamber of Commerce (KvK) extract"),
    DocumentKind.ID_DOCUMENT: N_("Identity document (masked copy)"),
    DocumentKind.SELFIE: N_("Selfie with the identity document"),
}
DECIDED = {  # what the operator is told after each result of a decision
    "approved": N_(
        "Approved. The administrator's MFA is reset: they set up a new authenticator app at their next sign-in, and "
        "are told by email."
    ),
    "approval_recorded": N_("Your approval is recorded. A second operator must approve before anything changes."),
    "rejected": N_("Rejected. The requester is told the reason by email; nothing changed in Keycloak."),
}
FORM_FIELDS = ("approve_reason", "reject_reason", "text")
INLINE_TYPES = frozenset({"image/jpeg"})  # shown on the page; anything else (the PDF) is downloaded


def age(seconds: int) -> str:
    """How long a case has waited, in the page's language ("3 days")."""
    return str(format_timedelta(timedelta(seconds=seconds), granularity="minute", threshold=1.0))


@bp.get("/realms/<realm>/desk")
def desk_queue(realm: str) -> tuple[str, int]:
    found = services().desk_decisions.open_cases(auth.admin_call(realm))
    return render("desk_queue.html", title=_("Recovery desk"), tab="desk", cases=found, age=age)


@bp.get("/realms/<realm>/desk/cases/<case_number>")
def desk_case(realm: str, case_number: str) -> tuple[str, int]:
    return _case_page(auth.admin_call(realm), case_number)


def _case_page(
    call: AdminCall, case_number: str, *, status: int = 200, errors: dict[str, FieldError] | None = None
) -> tuple[str, int]:
    """The case; after a refused POST, with what was typed and the error beside its field. The documents show only
    when asked for (``?show=documents``): each view is recorded in the audit trail."""
    desk = services().desk_decisions
    view = desk.case(call, case_number)
    case = view.case
    is_open = case.status == OPEN
    administrators, administrators_error = _administrators(call, case.case_number) if is_open else ([], None)
    posted = request.method == "POST"
    g.ui_page = url("desk_case", case_number=case.case_number)
    return render(
        "desk_case.html",
        status=status,
        title=_("Case %(number)s", number=case.case_number),
        tab="desk",
        view=view,
        case=case,
        is_open=is_open,
        age=age(int((services().clock() - case.created_at).total_seconds())),
        show_documents=request.args.get("show") == "documents",
        document_name=lambda document: _(DOCUMENT_NAMES[document.kind]),
        inline=lambda document: document.media_type in INLINE_TYPES,
        administrators=administrators,
        administrators_error=administrators_error,
        administrator_names={admin.id: admin.username for admin in administrators},
        chosen_user=request.form.get("user_id") if posted else _preselected(administrators),
        form={
            name: request.form.get(name, "") if posted else "" for name in ("approve_reason", "reject_reason", "text")
        },
        errors=errors or {},
        max_reason=MAX_REASON_LENGTH,
        max_note=MAX_NOTE_LENGTH,
    )


def _administrators(call: AdminCall, case_number: str) -> tuple[list[RealmAdministrator], str | None]:
    """The case realm's administrators, or why they cannot be shown (the rest of the page still can)."""
    try:
        return services().desk_decisions.administrators(call, case_number), None
    except Forbidden:
        return [], _("Keycloak does not let your account list the administrators of this realm.")
    except KeycloakUnavailable:
        return [], _("Keycloak could not be reached to list the administrators of this realm. Try again in a moment.")


def _preselected(administrators: list[RealmAdministrator]) -> str | None:
    """The one administrator matching the account as the requester typed it, if exactly one does."""
    matching = [admin.id for admin in administrators if admin.matches_account]
    return matching[0] if len(matching) == 1 else None


@bp.get("/realms/<realm>/desk/cases/<case_number>/documents/<document_id>")
def desk_document(realm: str, case_number: str, document_id: str) -> Response:
    """One document, decrypted for this operator (audited): an image shown in the browser, the PDF downloaded.
    Sandboxed, so nothing in it runs in the UI's origin."""
    opened = services().desk_decisions.open_document(auth.admin_call(realm), case_number, document_id)
    document = opened.document
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg"}.get(document.media_type, "bin")
    disposition = "inline" if document.media_type in INLINE_TYPES else "attachment"
    response = Response(opened.content, mimetype=document.media_type)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{document.kind.value}.{extension}"'
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.post("/realms/<realm>/desk/cases/<case_number>/notes")
def desk_note(realm: str, case_number: str) -> Response | tuple[str, int]:
    call = _form_call(realm, "note", case_number)
    try:
        services().desk_decisions.add_note(call, case_number, request.form.get("text", ""))
    except InvalidInput:
        error = _("Write a note of 1 to %(max)s characters, without control characters.", max=MAX_NOTE_LENGTH)
        return _case_page(call, case_number, status=400, errors={"text": error})
    flash("ok", N_("The note is added."))
    return redirect_to("desk_case", case_number=case_number)


@bp.post("/realms/<realm>/desk/cases/<case_number>/approve")
def desk_approve(realm: str, case_number: str) -> Response | tuple[str, int]:
    call = _form_call(realm, "approve", case_number)
    reason, user_id = request.form.get("approve_reason", ""), request.form.get("user_id", "")
    errors = _reason_error("approve_reason", reason)
    if not user_id:
        errors["user_id"] = _("Choose the administrator whose MFA is reset.")
    if errors:
        return _case_page(call, case_number, status=400, errors=errors)
    try:
        _decide(lambda: services().desk_decisions.approve(call, case_number, user_id, reason))
    except InvalidInput:
        errors = {"user_id": _("Choose the administrator whose MFA is reset.")}
        return _case_page(call, case_number, status=400, errors=errors)
    return redirect_to("desk_case", case_number=case_number)


@bp.post("/realms/<realm>/desk/cases/<case_number>/reject")
def desk_reject(realm: str, case_number: str) -> Response | tuple[str, int]:
    call = _form_call(realm, "reject", case_number)
    reason = request.form.get("reject_reason", "")
    errors = _reason_error("reject_reason", reason)
    if errors:
        return _case_page(call, case_number, status=400, errors=errors)
    _decide(lambda: services().desk_decisions.reject(call, case_number, reason))
    return redirect_to("desk_case", case_number=case_number)


def _reason_error(field: str, reason: str) -> dict[str, FieldError]:
    try:
        inputs.reason(reason, required=True)
    except InvalidInput:
        return {
            field: _(
                "Give a reason of one line, 1 to %(max)s characters, without control characters.", max=MAX_REASON_LENGTH
            )
        }
    return {}


def _form_call(realm: str, form: str, case_number: str) -> AdminCall:
    """The operator of a POST whose form token fits this form of this case."""
    call = auth.admin_call(realm)
    auth.check_form(realm, f"desk-{form}:{case_number}")
    return call


def _decide(decide: Callable[[], Decision]) -> None:
    """Run a decision and say what it did; a refusal an operator can act on becomes the message instead."""
    try:
        flash("ok", DECIDED[decide().result])
    except OwnCase:
        flash("error", N_("This case is about your own account. Another operator must decide it; nothing changed."))
    except AlreadyApproved:
        flash("error", N_("You approved this case already. A second, different operator must approve it."))
    except CaseDecided:
        flash("error", N_("This case is decided already; nothing changed."))
