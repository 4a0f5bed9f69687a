"""The admin UI's Employees pages: the list, one employee's overview, and Disable MFA, Revoke backup codes and
Remove backup email through their confirmation pages, with the admin API's domain services."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.notifications.outbox import MFA_DISABLED
from mfa_recovery.web.admin_ui import csrf
from mfa_recovery.web.admin_ui.sessions import COOKIE_NAME

from .fakes.admin_ui import UI, UiHarness, close, form_of, make_ui
from .fakes.clock import FakeClock
from .fakes.keycloak import VIEW_USERS
from .support import REALM, USER_ID, matching
from .test_admin_api import give_backup_address

ANNA = "9b1f0c1e-0000-4000-8000-0000000000a2"
OVERVIEW = f"{UI}/employees/{USER_ID}"
DISABLE = f"{OVERVIEW}/disable-mfa"


@pytest.fixture
def ui(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[UiHarness]:
    harness = make_ui(settings, clock, fast_hasher)
    harness.keycloak.add_user(ANNA, "anna", otp=False)
    harness.keycloak.grants["helpdesk"] = frozenset({VIEW_USERS})
    harness.sign_in()
    yield harness
    close(harness)


def element(html: str, element_id: str) -> str:
    """The opening tag of the element with this id ('' when there is none)."""
    found = re.search(rf'<[a-z0-9]+ [^>]*id="{re.escape(element_id)}"[^>]*>', html)
    return found.group(0) if found else ""


def force_mfa(ui: UiHarness) -> None:
    ui.keycloak.step()["requirement"] = "REQUIRED"


# --- the list -----------------------------------------------------------------------------------------------------


def test_the_list_shows_each_employee_with_badges(ui: UiHarness, clock: FakeClock) -> None:
    ui.services.backup_codes.issue(REALM, USER_ID, 10)
    give_backup_address(ui, clock, USER_ID, "jan.private@example.net")
    html = ui.page(f"{UI}/employees")
    assert element(html, "employees-table") and element(html, "search").startswith("<input")
    assert 'name="search"' in element(html, "search")
    jan = matching(rf'<tr id="employee-{USER_ID}">(.*?)</tr>', html, re.S).group(1)
    assert "Authenticator app on" in jan and ">10<" in jan and "Verified" in jan and "j•••@example.net" in jan
    assert f'href="{OVERVIEW}"' in jan
    anna = matching(rf'<tr id="employee-{ANNA}">(.*?)</tr>', html, re.S).group(1)
    assert "No authenticator app" in anna and ">0<" in anna and ">None<" in anna
    assert '<th scope="col">' in html and '<th scope="row">' in html
    assert 'aria-current="page"' in element(html, "nav-employees")
    assert not element(html, "page-next") and not element(html, "page-prev")


def test_search_and_pages_of_twenty(ui: UiHarness) -> None:
    for number in range(25):
        ui.keycloak.add_user(f"u-{number:02}", f"temp{number:02}", otp=False)
    first = ui.page(f"{UI}/employees?search=temp")
    assert first.count('<tr id="employee-') == 20 and "Page 1 of 2" in first
    assert not element(first, "page-prev")
    next_link = matching(r'id="page-next"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="page-next"', first)
    href = (next_link.group(1) or next_link.group(2)).replace("&amp;", "&")
    assert "search=temp" in href and "page=2" in href
    second = ui.page(href)
    assert second.count('<tr id="employee-') == 5 and element(second, "page-prev") and not element(second, "page-next")
    calls = [call for call in ui.keycloak.calls if call[1] == "users"]
    assert calls[-1][2] == ("temp", 20, 20)
    assert "No employees found." in ui.page(f"{UI}/employees?search=nobody")


# --- the overview -------------------------------------------------------------------------------------------------


def test_overview_with_personal_data_and_the_red_button(ui: UiHarness) -> None:
    ui.services.audit.record(REALM, "bridge", USER_ID, "backup_code.verify", "accepted")
    html = ui.page(OVERVIEW)
    bar = matching(r'<section id="personal-data".*?</section>', html, re.S).group(0)
    assert "Personal data" in bar and "Jan Doe" in bar and "jdoe" in bar and "jan@acme.example" in bar
    button = element(bar, "disable-mfa")
    assert button.startswith("<button") and "disabled" not in button and "danger" in button
    assert "Disable MFA" in bar
    assert not element(html, "mfa-forced-notice") and not element(html, "no-mfa-notice")
    events = matching(r'<ol id="recent-events".*?</ol>', html, re.S).group(0)
    assert "Sign-in with a backup code" in events and "Accepted" in events
    assert "<h1>Jan Doe</h1>" in html and "<h2>Overview</h2>" in html


def test_overview_in_dutch_uses_the_articles_words(ui: UiHarness) -> None:
    html = ui.page(OVERVIEW, headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert '<html lang="nl">' in html
    assert "Persoonsgegevens" in html and "Overzicht" in html and "Multifactor authenticatie uitschakelen" in html
    assert ">Medewerkers<" in html and ">Instellingen<" in html


def test_while_mfa_is_forced_the_button_is_disabled_and_says_why(ui: UiHarness) -> None:
    force_mfa(ui)
    html = ui.page(OVERVIEW)
    button = element(html, "disable-mfa")
    assert "disabled" in button and 'aria-disabled="true"' in button
    notice = matching(r'<p id="mfa-forced-notice".*?</p>', html, re.S).group(0)
    assert "forced for all users" in notice
    assert f'href="{UI}/settings/general"' in element(notice, "settings-link")


def test_without_an_authenticator_app_there_is_no_button(ui: UiHarness) -> None:
    html = ui.page(f"{UI}/employees/{ANNA}")
    assert not element(html, "disable-mfa")
    assert "no authenticator app" in matching(r'<p id="no-mfa-notice".*?</p>', html, re.S).group(0)


def test_backup_buttons_show_when_there_is_something_to_remove(ui: UiHarness, clock: FakeClock) -> None:
    html = ui.page(OVERVIEW)
    assert not element(html, "revoke-backup-codes") and not element(html, "remove-backup-email")
    ui.services.backup_codes.issue(REALM, USER_ID, 10)
    give_backup_address(ui, clock, USER_ID, "jan.private@example.net")
    html = ui.page(OVERVIEW)
    assert element(html, "revoke-backup-codes").startswith("<button")
    assert element(html, "remove-backup-email").startswith("<button")


def test_an_administrator_who_may_not_manage_sees_no_buttons(ui: UiHarness, clock: FakeClock) -> None:
    ui.services.backup_codes.issue(REALM, USER_ID, 10)
    give_backup_address(ui, clock, USER_ID, "jan.private@example.net")
    ui.sign_in("helpdesk")
    html = ui.page(OVERVIEW)
    for button in ("disable-mfa", "revoke-backup-codes", "remove-backup-email"):
        assert not element(html, button), button
    assert element(html, "no-manage-notice")
    assert element(html, "events-not-allowed")  # helpdesk may not read the realm's events either
    assert ui.client.get(DISABLE).status_code == 403


def test_unknown_employee_is_a_404_page(ui: UiHarness) -> None:
    response = ui.client.get(f"{UI}/employees/no-such-user")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)
    assert ui.client.get(f"{UI}/employees/bad%20id").status_code == 400


def test_keycloak_down_is_a_clear_page(ui: UiHarness) -> None:
    ui.keycloak.down = True
    response = ui.client.get(f"{UI}/employees")
    assert response.status_code == 502
    text = response.get_data(as_text=True)
    assert "Keycloak is unavailable" in text and "Traceback" not in text


# --- Disable MFA --------------------------------------------------------------------------------------------------


def test_disable_mfa_confirmation_form(ui: UiHarness) -> None:
    html = ui.page(DISABLE)
    form = matching(r'<form id="disable-mfa-form".*?</form>', html, re.S).group(0)
    assert 'method="post"' in form
    assert element(form, "reason").startswith('<input type="text"') and "required" in element(form, "reason")
    checkbox = element(form, "enrol_again")
    assert 'type="checkbox"' in checkbox and "checked" in checkbox and 'name="enrol_again"' in checkbox
    assert element(form, "confirm-disable-mfa").startswith("<button")
    assert f'href="{OVERVIEW}"' in element(form, "cancel")
    assert '<label for="reason">' in form and '<label for="enrol_again">' in form


def test_disable_mfa_removes_the_app_and_says_so(ui: UiHarness) -> None:
    response = ui.post_form(DISABLE, "disable-mfa-form", {"reason": "lost phone", "enrol_again": "on"})
    assert response.status_code == 303 and response.headers["Location"] == OVERVIEW
    assert ui.keycloak.users[USER_ID]["totp"] is False
    assert "CONFIGURE_TOTP" in ui.keycloak.users[USER_ID]["requiredActions"]
    event, attempt = ui.services.audit.search(REALM, action="admin.disable_mfa")[0]
    assert (event.actor, event.outcome, event.detail["reason"]) == ("admin:acme/admin", "succeeded", "lost phone")
    assert attempt.outcome == "attempted"
    assert event.detail["enrol_again"] is True and event.user_agent is not None
    assert [row.kind for row in ui.services.outbox.due()] == [MFA_DISABLED]
    html = ui.page(OVERVIEW)
    assert "MFA is disabled for this employee." in matching(r'<div id="flash".*?</div>', html, re.S).group(0)
    assert not element(html, "disable-mfa") and element(html, "no-mfa-notice")
    assert not element(ui.page(OVERVIEW), "flash")  # shown once


def test_disable_mfa_without_enrolling_again(ui: UiHarness) -> None:
    ui.post_form(DISABLE, "disable-mfa-form", {"reason": "left the company"})
    assert ui.keycloak.users[USER_ID]["totp"] is False
    assert "CONFIGURE_TOTP" not in ui.keycloak.users[USER_ID]["requiredActions"]


def test_disable_mfa_needs_a_reason(ui: UiHarness) -> None:
    response = ui.post_form(DISABLE, "disable-mfa-form", {"reason": "   ", "enrol_again": "on"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert element(html, "reason-error") and 'aria-invalid="true"' in element(html, "reason")
    assert ui.keycloak.users[USER_ID]["totp"] is True and not ui.keycloak.writes()


def test_disable_mfa_while_forced_goes_back_with_the_explanation(ui: UiHarness) -> None:
    action, token = form_of(ui.page(DISABLE), "disable-mfa-form")
    force_mfa(ui)
    response = ui.client.post(action, data={"csrf_token": token, "reason": "lost phone", "enrol_again": "on"})
    assert response.status_code == 303 and response.headers["Location"] == OVERVIEW
    assert ui.keycloak.users[USER_ID]["totp"] is True and not ui.keycloak.writes()
    flash = matching(r'<div id="flash".*?</div>', ui.page(OVERVIEW), re.S).group(0)
    assert "forced for all users" in flash and "flash-error" in flash


@pytest.mark.parametrize("token", [None, "", "0" * 64, "wrong"])
def test_a_post_without_the_right_csrf_token_changes_nothing(ui: UiHarness, token: str | None) -> None:
    data = {"reason": "lost phone", "enrol_again": "on"}
    if token is not None:
        data["csrf_token"] = token
    response = ui.client.post(DISABLE, data=data)
    assert response.status_code == 403
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert ui.keycloak.users[USER_ID]["totp"] is True and not ui.keycloak.writes()
    assert ui.services.audit.search(REALM, action="admin.disable_mfa")[1] == 0


def test_a_token_of_another_form_or_employee_does_not_fit(ui: UiHarness) -> None:
    _, token = form_of(ui.page(f"{UI}/employees/{ANNA}/disable-mfa"), "disable-mfa-form")
    response = ui.client.post(DISABLE, data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 403
    _, logout_token = form_of(ui.page(OVERVIEW), "sign-out")
    assert ui.client.post(DISABLE, data={"csrf_token": logout_token, "reason": "x"}).status_code == 403
    assert not ui.keycloak.writes()


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:8082", "https://127.0.0.1:8081", "x"])
def test_a_post_from_another_origin_is_refused(ui: UiHarness, origin: str) -> None:
    response = ui.post_form(DISABLE, "disable-mfa-form", {"reason": "x"}, headers={"Origin": origin})
    assert response.status_code == 403 and not ui.keycloak.writes()


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8081", "null"])
def test_a_post_from_the_sidecars_pages_is_accepted(ui: UiHarness, origin: str) -> None:
    # Browsers send "Origin: null" for a same-origin form POST of a page with Referrer-Policy: no-referrer.
    response = ui.post_form(DISABLE, "disable-mfa-form", {"reason": "x"}, headers={"Origin": origin})
    assert response.status_code == 303 and ui.keycloak.users[USER_ID]["totp"] is False


def test_a_forged_post_of_an_administrator_who_may_not_manage_is_refused(ui: UiHarness, clock: FakeClock) -> None:
    ui.services.backup_codes.issue(REALM, USER_ID, 10)
    give_backup_address(ui, clock, USER_ID, "jan.private@example.net")
    ui.sign_in("helpdesk")
    cookie = ui.client.get_cookie(COOKIE_NAME, path="/ui")
    assert cookie is not None
    session = ui.app.extensions["mfa_recovery_ui"].sessions.load(cookie.value, REALM)
    for action in ("disable-mfa", "revoke-backup-codes", "remove-backup-email"):
        forged = csrf.token(session, f"{action}:{USER_ID}")  # a valid token: only Keycloak's rights stop it
        response = ui.client.post(f"{OVERVIEW}/{action}", data={"csrf_token": forged, "reason": "x"})
        assert response.status_code == 403, action
        assert "You are not allowed to do this" in response.get_data(as_text=True)
    assert ui.keycloak.users[USER_ID]["totp"] is True
    assert ui.services.backup_codes.remaining_for_users(REALM, [USER_ID]) == {USER_ID: 10}
    assert "j•••@example.net" in ui.page(OVERVIEW)


# --- Revoke backup codes, Remove backup email ---------------------------------------------------------------------


def test_revoke_backup_codes(ui: UiHarness) -> None:
    ui.services.backup_codes.issue(REALM, USER_ID, 10)
    page = ui.page(f"{OVERVIEW}/revoke-backup-codes")
    assert element(page, "revoke-backup-codes-form") and element(page, "confirm-revoke-backup-codes")
    response = ui.post_form(f"{OVERVIEW}/revoke-backup-codes", "revoke-backup-codes-form", {"reason": ""})
    assert response.status_code == 303 and response.headers["Location"] == OVERVIEW
    assert ui.services.backup_codes.remaining_for_users(REALM, [USER_ID]).get(USER_ID, 0) == 0
    assert "The backup codes are revoked." in ui.page(OVERVIEW)


def test_remove_backup_email(ui: UiHarness, clock: FakeClock) -> None:
    give_backup_address(ui, clock, USER_ID, "jan.private@example.net")
    response = ui.post_form(f"{OVERVIEW}/remove-backup-email", "remove-backup-email-form", {"reason": "asked"})
    assert response.status_code == 303
    html = ui.page(OVERVIEW)
    assert "The backup email is removed." in html and not element(html, "remove-backup-email")
    event, attempt = ui.services.audit.search(REALM, action="admin.remove_backup_email")[0]
    assert (event.outcome, event.detail["reason"], attempt.outcome) == ("succeeded", "asked", "attempted")
