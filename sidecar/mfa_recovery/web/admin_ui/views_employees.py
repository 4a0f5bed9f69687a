"""Employees: the list, one employee's overview, and the actions on their MFA (each behind a confirmation page).

Every action is the admin API's own domain service (``MfaActions``), called with the administrator's token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...admin.errors import Forbidden, InvalidInput, MfaForced
from ...admin.identity import AdminCall
from ...admin.inputs import MAX_REASON_LENGTH
from ...keycloak.rest import CONFIGURE_TOTP, Representation, may_manage
from ...services import Services
from ...translations import N_
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
        title=_("Employees"),
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
        title=_("Employee"),
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
    """One action on an employee's MFA: its confirmation page and what the POST does (returns whether anything
    changed). The texts are English, translated where they are shown."""

    name: str  # in the URL and the element ids
    reason_required: bool
    run: Callable[[Services, AdminCall, str, str, str], bool]
    title: str  # of the confirmation page and its button
    text: str  # what the action does, with the employee's %(name)s
    done: str  # the message after it
    unchanged: str  # the message when there was nothing to do


def _disable_mfa(svc: Services, call: AdminCall, realm: str, user_id: str, reason: str) -> bool:
    done = svc.mfa_actions.disable_mfa(call, realm, user_id, reason, request.form.get("enrol_again") == "on")
    return bool(done.removed_credentials)


def _revoke_codes(svc: Services, call: AdminCall, realm: str, user_id: str, reason: str) -> bool:
    return bool(svc.mfa_actions.revoke_backup_codes(call, realm, user_id, reason).codes_revoked)


def _remove_email(svc: Services, call: AdminCall, realm: str, user_id: str, reason: str) -> bool:
    return bool(svc.mfa_actions.remove_backup_email(call, realm, user_id, reason).removed)


ACTIONS = {
    action.name: action
    for action in (
        Action(
            "disable-mfa",
            True,
            _disable_mfa,
            title=N_("Disable MFA"),
            text=N_(
                "This removes every authenticator app of %(name)s. Until they set one up again they sign in with "
                "their password only. They are told by email."
            ),
            done=N_("MFA is disabled for this employee."),
            unchanged=N_("This employee had no authenticator app; nothing was removed."),
        ),
        Action(
            "revoke-backup-codes",
            False,
            _revoke_codes,
            title=N_("Revoke backup codes"),
            text=N_("All backup codes of %(name)s stop working at once. They can make new ones in their account."),
            done=N_("The backup codes are revoked."),
            unchanged=N_("This employee had no backup codes; nothing changed."),
        ),
        Action(
            "remove-backup-email",
            False,
            _remove_email,
            title=N_("Remove backup email"),
            text=N_("The backup email address of %(name)s is removed, and codes already sent to it stop working."),
            done=N_("The backup email is removed."),
            unchanged=N_("This employee had no backup email; nothing changed."),
        ),
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
        changed = spec.run(services(), call, realm, user_id, reason)
    except InvalidInput:
        user = _user(call, realm, user_id)
        return _confirmation(spec, user, user_id, status=400, error=True)
    except MfaForced:
        flash(
            "error",
            N_("MFA was not disabled: it is forced for all users. Stop forcing it under Settings → General first."),
        )
        return redirect_to("employee", user_id=user_id)
    flash("ok", spec.done if changed else spec.unchanged)
    return redirect_to("employee", user_id=user_id)


def _confirmation(
    spec: Action, user: Representation, user_id: str, *, status: int = 200, error: bool = False
) -> tuple[str, int]:
    """``error``: the reason given was refused."""
    form: dict[str, Any] = {
        "reason": request.form.get("reason", "") if request.method == "POST" else "",
        "enrol_again": request.form.get("enrol_again") == "on" if request.method == "POST" else True,
    }
    name = full_name(user.get("firstName"), user.get("lastName"), str(user.get("username") or ""))
    return render(
        "confirm.html",
        status=status,
        title=_(spec.title),
        text=_(spec.text, name=name),
        tab="employees",
        action=spec.name,
        reason_required=spec.reason_required,
        max_reason=MAX_REASON_LENGTH,
        user_id=user_id,
        name=name,
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
