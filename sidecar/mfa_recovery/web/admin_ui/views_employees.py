"""Employees: the list, one employee's overview, and the actions on their MFA (each behind a confirmation page).

Every action is the admin API's own domain service (``MfaActions``), called with the administrator's token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from werkzeug.wrappers import Response

from ...admin.errors import Forbidden, InvalidInput, MfaForced
from ...admin.identity import AdminCall
from ...admin.inputs import MAX_REASON_LENGTH
from ...keycloak.rest import CONFIGURE_TOTP, Representation, may_manage
from ...services import Services
from ..context import services
from ..context import user_id as valid_user_id
from . import auth, forms
from .blueprint import bp
from .pages import flash, pager, redirect_to, render

EMPLOYEES_PAGE = 20


def full_name(first: str | None, last: str | None, username: str) -> str:
    return " ".join(part for part in (first, last) if part) or username


@bp.get("/realms/<realm>/employees")
def employees(realm: str) -> tuple[str, int]:
    call = auth.admin_call(realm)
    search = forms.query_text("search")
    page = forms.page_number()
    found = services().employees.page(call, realm, search, (page - 1) * EMPLOYEES_PAGE, EMPLOYEES_PAGE)
    return render(
        "employees.html",
        title_key="employees.title",
        tab="employees",
        found=found,
        search=search or "",
        pages=pager(page, found.total, EMPLOYEES_PAGE, "employees", {"search": search}),
        full_name=lambda e: full_name(e.first_name, e.last_name, e.username),
    )


def _user(call: AdminCall, realm: str, user_id: str) -> Representation:
    """The user as Keycloak shows them to this administrator (with ``access``)."""
    return services().admin_keycloak.as_admin(call.administrator).user(realm, user_id)


@bp.get("/realms/<realm>/employees/<user_id>")
def employee(realm: str, user_id: str) -> tuple[str, int]:
    call = auth.admin_call(realm)
    user_id = valid_user_id(user_id)
    svc = services()
    detail = svc.employees.one(call, realm, user_id)
    may_manage = detail.may_manage
    person = detail.employee
    forced = person.mfa.otp and may_manage and svc.policy.is_forced(realm)
    return render(
        "employee.html",
        title_key="employee.title",
        tab="employees",
        person=person,
        name=full_name(person.first_name, person.last_name, person.username),
        detail=detail,
        may_manage=may_manage,
        forced=forced,
        enrol_pending=CONFIGURE_TOTP in detail.required_actions,
    )


# -- actions -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One action on an employee's MFA: its confirmation page and what the POST does (returns a catalogue key)."""

    name: str  # in the URL, the element ids and the catalogue keys
    reason_required: bool
    run: Callable[[Services, AdminCall, str, str, str], str]


def _disable_mfa(svc: Services, call: AdminCall, realm: str, user_id: str, reason: str) -> str:
    done = svc.mfa_actions.disable_mfa(call, realm, user_id, reason, request.form.get("enrol_again") == "on")
    return "flash.disable-mfa.done" if done.removed_credentials else "flash.disable-mfa.unchanged"


def _revoke_codes(svc: Services, call: AdminCall, realm: str, user_id: str, reason: str) -> str:
    done = svc.mfa_actions.revoke_backup_codes(call, realm, user_id, reason)
    return "flash.revoke-backup-codes.done" if done.codes_revoked else "flash.revoke-backup-codes.unchanged"


def _remove_email(svc: Services, call: AdminCall, realm: str, user_id: str, reason: str) -> str:
    done = svc.mfa_actions.remove_backup_email(call, realm, user_id, reason)
    return "flash.remove-backup-email.done" if done.removed else "flash.remove-backup-email.unchanged"


ACTIONS = {
    action.name: action
    for action in (
        Action("disable-mfa", True, _disable_mfa),
        Action("revoke-backup-codes", False, _revoke_codes),
        Action("remove-backup-email", False, _remove_email),
    )
}


def employee_action(realm: str, user_id: str, action: str) -> Response | tuple[str, int]:
    """GET: the confirmation page (only for those whom Keycloak lets manage the employee). POST: the action, then
    back to the overview with a message. A refusal of the domain (403, 404, 502) is an error page; nothing
    changed."""
    spec = ACTIONS[action]
    call = auth.admin_call(realm)
    user_id = valid_user_id(user_id)
    if request.method == "GET":
        user = _user(call, realm, user_id)
        if not may_manage(user):
            raise Forbidden("Keycloak does not let this account manage the user")
        return _confirmation(spec, user, user_id)
    auth.check_form(realm, f"{action}:{user_id}")
    reason = request.form.get("reason", "")
    try:
        done = spec.run(services(), call, realm, user_id, reason)
    except InvalidInput:
        user = _user(call, realm, user_id)
        return _confirmation(spec, user, user_id, status=400, error="confirm.reason.error")
    except MfaForced:
        flash("error", "flash.disable-mfa.forced")
        return redirect_to("employee", user_id=user_id)
    flash("ok", done)
    return redirect_to("employee", user_id=user_id)


def _confirmation(
    spec: Action, user: Representation, user_id: str, *, status: int = 200, error: str | None = None
) -> tuple[str, int]:
    form: dict[str, Any] = {
        "reason": request.form.get("reason", "") if request.method == "POST" else "",
        "enrol_again": request.form.get("enrol_again") == "on" if request.method == "POST" else True,
    }
    return render(
        "confirm.html",
        status=status,
        title_key=f"confirm.{spec.name}.title",
        tab="employees",
        action=spec.name,
        reason_required=spec.reason_required,
        max_reason=MAX_REASON_LENGTH,
        user_id=user_id,
        name=full_name(user.get("firstName"), user.get("lastName"), str(user.get("username") or "")),
        form=form,
        error=error,
    )


for _name in ACTIONS:
    bp.add_url_rule(
        f"/realms/<realm>/employees/<user_id>/{_name}",
        endpoint=_name.replace("-", "_"),
        view_func=employee_action,
        methods=["GET", "POST"],
        defaults={"action": _name},
    )
