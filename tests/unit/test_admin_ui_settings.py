"""The admin UI's Settings → General (the "Force MFA for all users" switch and the realm's recovery options) and
its Audit page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings

from .fakes.admin_ui import UI, UiHarness, close, make_ui
from .fakes.clock import FakeClock
from .fakes.keycloak import VIEW_USERS
from .support import REALM, USER_ID, matching
from .test_admin_ui_employees import element

SETTINGS = f"{UI}/settings/general"
AUDIT = f"{UI}/audit"
OPTIONS = {
    "code_count": "12",
    "warning_threshold": "4",
    "setup_prompt": "required",
    "reenrol_otp_after_recovery": "on",
    "email_method_enabled": "on",
    "supervisor_attribute": "manager",
}


@pytest.fixture
def ui(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[UiHarness]:
    harness = make_ui(settings, clock, fast_hasher)
    harness.keycloak.grants["helpdesk"] = frozenset({VIEW_USERS})
    harness.sign_in()
    yield harness
    close(harness)


# --- Force MFA for all users ----------------------------------------------------------------------------------------


def test_the_settings_page_explains_the_switch(ui: UiHarness) -> None:
    html = ui.page(SETTINGS)
    assert 'aria-current="page"' in element(html, "nav-settings")
    form = matching(r'<form id="force-mfa-form".*?</form>', html, re.S).group(0)
    on, off = element(form, "force-mfa-on"), element(form, "force-mfa-off")
    assert 'name="force_mfa"' in on and 'name="force_mfa"' in off and "checked" in off and "checked" not in on
    assert element(form, "policy-reason").startswith('<input type="text"') and element(form, "save-policy")
    assert "Every user must use an authenticator app at every sign-in" in form
    assert "set it up at their next sign-in" in form and "Disable MFA is not available" in form
    assert "Only users who set up an authenticator app are asked" in form and "restores" in form
    assert "<h2>General</h2>" in html and element(html, "options-form") and element(html, "save-options")


def test_forcing_and_unforcing_restores_what_was_there(ui: UiHarness) -> None:
    response = ui.post_form(SETTINGS, "force-mfa-form", {"force_mfa": "on", "reason": "audit finding"})
    assert response.status_code == 303 and response.headers["Location"] == SETTINGS
    assert ui.keycloak.step()["requirement"] == "REQUIRED"
    assert ui.keycloak.required_actions["CONFIGURE_TOTP"]["defaultAction"] is True
    html = ui.page(SETTINGS)
    assert "MFA is now forced for all users." in html and "checked" in element(html, "force-mfa-on")
    assert "Forced since" in html and "admin:acme/admin" in html

    ui.post_form(SETTINGS, "force-mfa-form", {"force_mfa": "off", "reason": "done"})
    assert ui.keycloak.step()["requirement"] == "CONDITIONAL"
    assert ui.keycloak.required_actions["CONFIGURE_TOTP"]["defaultAction"] is False
    assert "the settings from before are back" in ui.page(SETTINGS)
    events, _ = ui.services.audit.search(REALM, action="admin.policy")
    assert [event.outcome for event in events] == ["succeeded", "attempted", "succeeded", "attempted"]


def test_the_switch_needs_a_choice_and_a_reason(ui: UiHarness) -> None:
    response = ui.post_form(SETTINGS, "force-mfa-form", {"force_mfa": "on", "reason": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert element(html, "reason-error") and "checked" in element(html, "force-mfa-on")
    assert ui.post_form(SETTINGS, "force-mfa-form", {"reason": "x"}).status_code == 400
    assert ui.keycloak.step()["requirement"] == "CONDITIONAL" and not ui.keycloak.writes()


def test_keycloak_decides_who_may_switch(ui: UiHarness) -> None:
    ui.keycloak.grants["viewer"] = frozenset({VIEW_USERS, "view-realm"})
    ui.sign_in("viewer")
    response = ui.post_form(SETTINGS, "force-mfa-form", {"force_mfa": "on", "reason": "try"})
    assert response.status_code == 403
    assert "You are not allowed to do this" in response.get_data(as_text=True)
    assert ui.keycloak.step()["requirement"] == "CONDITIONAL"


def test_a_realm_without_the_step_cannot_force(ui: UiHarness) -> None:
    ui.keycloak.executions = [e for e in ui.keycloak.executions if e.get("providerId") != "mfa-recovery"]
    html = ui.page(SETTINGS)
    assert element(html, "no-mfa-step-notice") and not element(html, "force-mfa-form")


def test_the_policy_form_needs_its_csrf_token(ui: UiHarness) -> None:
    response = ui.client.post(f"{SETTINGS}/policy", data={"force_mfa": "on", "reason": "x"})
    assert response.status_code == 403 and not ui.keycloak.writes()


# --- recovery options ---------------------------------------------------------------------------------------------


def test_saving_the_recovery_options(ui: UiHarness) -> None:
    response = ui.post_form(SETTINGS, "options-form", OPTIONS)
    assert response.status_code == 303
    options = ui.services.realm_options.get(REALM)
    assert (options.code_count, options.warning_threshold, options.setup_prompt) == (12, 4, "required")
    assert options.reenrol_otp_after_recovery and options.email_method_enabled
    assert not options.reenrol_otp_after_email_recovery  # unchecked
    assert (options.supervisor_attribute, options.updated_by) == ("manager", "admin:acme/admin")
    html = ui.page(SETTINGS)
    assert "The recovery options are saved." in html and 'value="12"' in element(html, "code_count")
    assert not options.desk_four_eyes and "checked" not in element(html, "desk_four_eyes")


def test_switching_the_desks_four_eyes(ui: UiHarness) -> None:
    assert ui.post_form(SETTINGS, "options-form", {**OPTIONS, "desk_four_eyes": "on"}).status_code == 303
    assert ui.services.realm_options.get(REALM).desk_four_eyes
    assert "checked" in element(ui.page(SETTINGS), "desk_four_eyes")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code_count": "30"}, "code_count", "Enter a number from 5 to 20."),
        ({"code_count": "ten"}, "code_count", "Enter a whole number."),
        ({"warning_threshold": "12"}, "warning_threshold", "Enter a number from 0 to 11"),
        ({"setup_prompt": "always"}, "setup_prompt", "Choose one of the options."),
        ({"supervisor_attribute": "bad attribute!"}, "supervisor_attribute", "at most 64 letters"),
    ],
)
def test_invalid_options_are_shown_next_to_the_field(ui: UiHarness, changes: dict, field: str, message: str) -> None:
    response = ui.post_form(SETTINGS, "options-form", {**OPTIONS, **changes})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(rf'<p id="{field}-error" class="error">(.*?)</p>', html, re.S)
    assert error is not None and message in error.group(1)
    value = next(iter(changes.values()))
    if field != "setup_prompt":
        assert f'value="{value}"' in element(html, field)  # what was typed stays
    assert ui.services.realm_options.get(REALM).is_default


def test_keycloak_not_the_tokens_roles_decides_who_changes_options(ui: UiHarness) -> None:
    ui.keycloak.grants["admin"] = ui.keycloak.grants["admin"] - {"manage-realm"}  # the token still says manage-realm
    ui.sign_in("admin")
    response = ui.post_form(SETTINGS, "options-form", OPTIONS)
    assert response.status_code == 403
    assert ui.services.realm_options.get(REALM).is_default
    assert ("admin", "update_required_action") in [(who, call) for who, call, _ in ui.keycloak.calls]


def test_only_realm_managers_change_options(ui: UiHarness) -> None:
    ui.keycloak.grants["helpdesk"] = frozenset({VIEW_USERS, "view-realm"})
    ui.sign_in("helpdesk")
    html = ui.page(SETTINGS)
    assert element(html, "options-read-only")
    response = ui.post_form(SETTINGS, "options-form", OPTIONS)
    assert response.status_code == 403
    assert ui.services.realm_options.get(REALM).is_default


# --- audit --------------------------------------------------------------------------------------------------------


def test_the_audit_trail_filtered_by_username_action_and_dates(ui: UiHarness, clock: FakeClock) -> None:
    audit = ui.services.audit
    audit.record(REALM, "bridge", USER_ID, "backup_code.verify", "accepted")
    audit.record(REALM, "bridge", "someone-else", "backup_code.verify", "rejected")
    audit.record(REALM, "admin:acme/admin", USER_ID, "admin.disable_mfa", "ok", {"reason": "lost phone"})
    audit.record("other", "bridge", USER_ID, "backup_code.verify", "accepted")
    html = ui.page(AUDIT)
    assert element(html, "audit-filter") and element(html, "audit-table")
    assert 'aria-current="page"' in element(html, "nav-audit")
    assert html.count('<tr id="event-') == 3
    by_name = ui.page(f"{AUDIT}?subject=JDOE")
    assert by_name.count('<tr id="event-') == 2 and "someone-else" not in by_name
    by_action = ui.page(f"{AUDIT}?subject=jdoe&action=admin.")
    assert by_action.count('<tr id="event-') == 1 and "Reason: lost phone" in by_action
    today = clock().date()
    assert ui.page(f"{AUDIT}?since={today}&until={today}").count('<tr id="event-') == 3
    assert "No events found." in ui.page(f"{AUDIT}?until=2000-01-01")
    bad = ui.client.get(f"{AUDIT}?since=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)


def test_the_audit_trail_has_pages(ui: UiHarness) -> None:
    for number in range(60):
        ui.services.audit.record(REALM, "bridge", USER_ID, "backup_code.verify", f"rejected-{number}")
    first = ui.page(AUDIT)
    assert first.count('<tr id="event-') == 50 and element(first, "page-next") and "Page 1 of 2" in first
    second = ui.page(f"{AUDIT}?page=2")
    assert second.count('<tr id="event-') == 10 and element(second, "page-prev")


def test_the_audit_trail_is_for_those_who_may_read_events(ui: UiHarness) -> None:
    ui.sign_in("helpdesk")
    response = ui.client.get(AUDIT)
    assert response.status_code == 403 and "You are not allowed to do this" in response.get_data(as_text=True)
