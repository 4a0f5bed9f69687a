"""Settings → General: the "Force MFA for all users" switch (the admin API's ``Policy``) and the realm's recovery
options (the ``RealmOptionsService`` the CLI uses too)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...admin.errors import InvalidInput, NoMfaStep
from ...admin.identity import AdminCall
from ...admin.inputs import MAX_REASON_LENGTH
from ...realm_options.options import CODE_COUNT_MAX, CODE_COUNT_MIN, SETUP_PROMPTS, InvalidRealmOptions
from ...translations import N_
from ..context import services
from . import auth, forms
from .blueprint import bp
from .forms import FieldError
from .pages import flash, redirect_to, render, url


@bp.get("/realms/<realm>/settings/general")
def settings_general(realm: str) -> tuple[str, int]:
    return _page(auth.admin_call(realm), realm)


def _page(
    call: AdminCall,
    realm: str,
    *,
    status: int = 200,
    policy_errors: dict[str, FieldError] | None = None,
    option_errors: dict[str, FieldError] | None = None,
) -> tuple[str, int]:
    """The page; after a refused POST, with what was typed and the errors next to the fields."""
    svc = services()
    state = svc.policy.view(call, realm)
    options = svc.realm_options.get(realm)
    posted = request.method == "POST"
    g.ui_page = url("settings_general")  # the language links of a refused POST show the page again
    option_values: dict[str, Any] = options.as_dict()
    if posted and option_errors is not None:
        option_values = {name: request.form.get(name, "") for name in option_values}
        option_values.update({name: request.form.get(name) == "on" for name in forms.SWITCH_OPTIONS})
    return render(
        "settings_general.html",
        status=status,
        title=_("Settings"),
        tab="settings",
        state=state,
        has_step=state.keycloak.step is not None,
        policy_choice=request.form.get("force_mfa") if posted and policy_errors else None,
        policy_reason=request.form.get("reason", "") if posted and policy_errors else "",
        policy_errors=policy_errors or {},
        options=options,
        option_values=option_values,
        option_errors=option_errors or {},
        may_manage_realm=auth.may_manage_realm(call, realm),
        setup_prompts=SETUP_PROMPTS,
        code_count_range=(CODE_COUNT_MIN, CODE_COUNT_MAX),
        max_reason=MAX_REASON_LENGTH,
    )


@bp.post("/realms/<realm>/settings/general/policy")
def save_policy(realm: str) -> Response | tuple[str, int]:
    """Force MFA for all users, or stop forcing it; Keycloak decides whether this administrator may."""
    call = auth.admin_call(realm)
    auth.check_form(realm, "policy")
    choice = request.form.get("force_mfa")
    if choice not in ("on", "off"):
        return _page(call, realm, status=400, policy_errors={"force_mfa": _("Choose Forced or Not forced.")})
    try:
        change = services().policy.set(call, realm, choice == "on", request.form.get("reason", ""))
    except InvalidInput:
        reason = _("Give a reason of one line, 1 to 500 characters, without control characters.")
        return _page(call, realm, status=400, policy_errors={"reason": reason})
    except NoMfaStep:
        flash("error", N_("MFA cannot be forced: the realm's browser flow has no MFA recovery step."))
        return redirect_to("settings_general")
    if not change.changed:
        flash("ok", N_("Nothing changed: the setting was already so."))
    elif change.state.force_mfa:
        flash("ok", N_("MFA is now forced for all users."))
    else:
        flash("ok", N_("MFA is no longer forced; the settings from before are back."))
    return redirect_to("settings_general")


@bp.post("/realms/<realm>/settings/general/options")
def save_options(realm: str) -> Response | tuple[str, int]:
    """Change the realm's recovery options: for administrators Keycloak made managers of the realm."""
    call = auth.admin_call(realm)
    auth.check_form(realm, "options")
    services().policy.confirm_realm_manager(call, realm)  # Keycloak decides, as for every other change
    values, errors = forms.realm_options(request.form)
    if not errors:
        try:
            change = services().realm_options.update(realm, call.actor, **values)
        except InvalidRealmOptions as exc:
            errors = forms.realm_options_error(exc, values)
    if errors:
        return _page(call, realm, status=400, option_errors=errors)
    if change.changed:
        flash("ok", N_("The recovery options are saved."))
    else:
        flash("ok", N_("The recovery options are saved; nothing was different."))
    return redirect_to("settings_general")
