"""Audit: the realm's trail (the admin API's ``AuditTrail``), filtered by employee, action and dates."""

from __future__ import annotations

from flask_babel import gettext as _

from ...admin.errors import Forbidden
from ...admin.identity import AdminCall
from ...admin.trail import AuditQuery
from ..context import services
from . import auth, forms
from .blueprint import bp
from .forms import FieldError
from .names import ACTION_FILTERS
from .pages import pager, render

AUDIT_PAGE = 50


def _subject(call: AdminCall, realm: str, given: str | None) -> str | None:
    """An employee named by user id or username: a username is looked up with the employees search (as the
    administrator: one Keycloak call); anything else is taken as a user id."""
    if given is None:
        return None
    try:
        found = services().employees.page(call, realm, given, 0, 20)
    except Forbidden:
        return given
    match = next((e.id for e in found.employees if e.username.lower() == given.lower()), None)
    return match or given


@bp.get("/realms/<realm>/audit")
def audit(realm: str) -> tuple[str, int]:
    call = auth.admin_call(realm)
    errors: dict[str, FieldError] = {}
    subject = forms.query_text("subject")
    action = forms.query_text("action")
    action = action if action in ACTION_FILTERS else None
    since, until = forms.day("since", errors), forms.day("until", errors, end=True)
    page = forms.page_number()
    query = AuditQuery(
        subject=_subject(call, realm, subject),
        action=action,
        since=since,
        until=until,
        first=(page - 1) * AUDIT_PAGE,
        max=AUDIT_PAGE,
    )
    found = services().audit_trail.search(call, realm, query)
    filters = {"subject": subject, "action": action, **{name: forms.query_text(name) for name in ("since", "until")}}
    return render(
        "audit.html",
        status=400 if errors else 200,
        title=_("Audit"),
        tab="audit",
        found=found,
        filters=filters,
        errors=errors,
        action_filters=ACTION_FILTERS,
        pages=pager(page, found.total, AUDIT_PAGE, "audit", filters),
    )
