"""The administrator's screens in a real browser against the real stack: sign in with Keycloak, find an employee,
disable MFA with a reason, the audit entry, the force-MFA switch, English and Dutch, and an administrator whom
Keycloak does not let manage users."""

from __future__ import annotations

import json

import pytest
import requests
from playwright.sync_api import Page

from tests.support.recovery import add_backup_address
from tests.support.screenshots import shoot

REALM = "acme"
BULK_PREFIX = "bulk-"
BULK_USERS = 10_000


def sign_in_to_admin_ui(page: Page, sidecar_url: str, who, path: str = "/employees") -> None:
    page.goto(f"{sidecar_url}/ui/realms/{REALM}{path}")
    page.locator("#username").fill(who.username)
    page.locator("#password").fill(who.password)
    page.locator("#kc-login").click()
    page.locator("#nav-employees").wait_for()


@pytest.fixture(scope="session")
def ten_thousand_employees(admin, admin_api_ready) -> int:
    """10,000 employees seeded once per run with Keycloak's partial import (skipped when already there)."""
    existing = admin.connection.raw_get(f"admin/realms/{REALM}/users/count", search=BULK_PREFIX).json()
    if existing < BULK_USERS:
        users = [
            {
                "username": f"{BULK_PREFIX}{n:05d}",
                "enabled": True,
                "email": f"{BULK_PREFIX}{n:05d}@bulk.example",
                "firstName": "Bulk",
                "lastName": f"Employee {n:05d}",
            }
            for n in range(BULK_USERS)
        ]
        for start in range(0, BULK_USERS, 2_000):
            response = admin.connection.raw_post(
                f"admin/realms/{REALM}/partialImport",
                data=json.dumps({"ifResourceExists": "SKIP", "users": users[start : start + 2_000]}),
            )
            assert response.status_code == 200, response.text
    return BULK_USERS


def test_disable_mfa_from_the_overview(ui_page: Page, sidecar, administrator, new_employee, sign_in, test_output):
    page = ui_page
    who = administrator("realm-admin", prefix="uiadmin")
    employee = new_employee()
    sign_in_to_admin_ui(page, sidecar.url, who)
    shoot(page, test_output, "admin-01-employees")

    page.locator("#search").fill(employee.username)
    page.locator("#search").press("Enter")
    row = page.locator(f"#employee-{employee.user_id}")
    row.wait_for()
    row.get_by_role("link").first.click()

    bar = page.locator("#personal-data")
    bar.wait_for()
    assert employee.username in bar.inner_text()
    assert "Personal data" in bar.inner_text()
    button = page.locator("#disable-mfa")
    assert button.inner_text().strip() == "Disable MFA"
    shoot(page, test_output, "admin-02-overview")

    button.click()
    page.locator("#disable-mfa-form").wait_for()
    assert page.locator("#enrol_again").is_checked()
    shoot(page, test_output, "admin-03-disable-mfa-confirm")
    page.locator("#reason").fill("Lost phone; identity checked by a call to the employee's desk phone")
    page.locator("#confirm-disable-mfa").click()
    page.locator("#flash").wait_for()
    page.locator("#no-mfa-notice").wait_for()
    assert page.locator("#disable-mfa").count() == 0, "without MFA the button is gone"
    shoot(page, test_output, "admin-04-mfa-disabled")

    page.locator("#nav-audit").click()
    page.locator("#audit-filter").wait_for()
    page.locator("#subject").fill(employee.username)
    page.locator("#audit-apply").click()
    table = page.locator("#audit-table")
    table.wait_for()
    assert "Disable MFA" in table.inner_text() and "Lost phone" in table.inner_text()
    shoot(page, test_output, "admin-05-audit")

    attempt = sign_in()
    assert attempt.password(employee.username, employee.password).has("kc-totp-settings-form")


def test_force_mfa_switch_disables_the_button(ui_page: Page, sidecar, administrator, new_employee, test_output):
    page = ui_page
    who = administrator("realm-admin", prefix="uiforce")
    employee = new_employee()
    sign_in_to_admin_ui(page, sidecar.url, who)
    page.locator("#nav-settings").click()
    page.locator("#force-mfa-form").wait_for()
    page.locator("#force-mfa-on").check()
    page.locator("#policy-reason").fill("Everyone uses an authenticator app from today")
    page.locator("#save-policy").click()
    page.locator("#flash").wait_for()
    try:
        assert page.locator("#force-mfa-on").is_checked()
        shoot(page, test_output, "admin-06-settings-forced")

        page.goto(f"{sidecar.url}/ui/realms/{REALM}/employees/{employee.user_id}")
        notice = page.locator("#mfa-forced-notice")
        notice.wait_for()
        assert page.locator("#disable-mfa").is_disabled()
        shoot(page, test_output, "admin-07-overview-while-forced")
        page.locator("#settings-link").click()
        page.locator("#force-mfa-form").wait_for()
    finally:
        page.goto(f"{sidecar.url}/ui/realms/{REALM}/settings/general")
        page.locator("#force-mfa-off").check()
        page.locator("#policy-reason").fill("End of the test")
        page.locator("#save-policy").click()
        page.locator("#flash").wait_for()
    assert page.locator("#force-mfa-off").is_checked()
    shoot(page, test_output, "admin-08-settings-not-forced")


@pytest.mark.parametrize("ui_page", ["nl"], indirect=True)
def test_dutch_screens(ui_page: Page, sidecar, administrator, new_employee, test_output):
    page = ui_page
    who = administrator("realm-admin", prefix="uinl")
    employee = new_employee()
    sign_in_to_admin_ui(page, sidecar.url, who)
    assert page.locator("html").get_attribute("lang") == "nl"
    assert "Medewerkers" in page.locator("#nav-employees").inner_text()
    assert "Instellingen" in page.locator("#nav-settings").inner_text()
    shoot(page, test_output, "nl-admin-01-employees")
    page.goto(f"{sidecar.url}/ui/realms/{REALM}/employees/{employee.user_id}")
    assert "Persoonsgegevens" in page.locator("#personal-data").inner_text()
    assert page.locator("#disable-mfa").inner_text().strip() == "Multifactor authenticatie uitschakelen"
    shoot(page, test_output, "nl-admin-02-overview")
    page.locator("#nav-settings").click()
    page.locator("#force-mfa-form").wait_for()
    assert "Algemeen" in page.content()
    shoot(page, test_output, "nl-admin-03-settings")
    page.locator("#lang-en").click()
    page.locator("#nav-employees").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"


def test_administrator_without_rights_sees_no_actions(ui_page: Page, sidecar, administrator, new_employee, admin,
                                                     test_output):  # fmt: skip
    page = ui_page
    viewer = administrator("view-users", "query-users", prefix="uiviewer")
    employee = new_employee()
    sign_in_to_admin_ui(page, sidecar.url, viewer)
    page.goto(f"{sidecar.url}/ui/realms/{REALM}/employees/{employee.user_id}")
    page.locator("#personal-data").wait_for()
    for action in ("disable-mfa", "revoke-backup-codes", "remove-backup-email"):
        assert page.locator(f"#{action}").count() == 0, action
    shoot(page, test_output, "admin-09-overview-without-rights")

    # A forged form post with the viewer's own valid session and CSRF token: Keycloak refuses, so do we.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"{sidecar.url}/ui/realms/{REALM}/employees/{employee.user_id}/disable-mfa",
        form={"csrf_token": token or "", "reason": "forged", "enrol_again": "on"},
    )
    assert response.status == 403
    assert [c for c in admin.get_credentials(employee.user_id) if c["type"] == "otp"], "nothing changed"


def test_sign_out_ends_the_keycloak_session(ui_page: Page, sidecar, administrator, test_output):
    page = ui_page
    who = administrator("realm-admin", prefix="uisignout")
    sign_in_to_admin_ui(page, sidecar.url, who)
    page.locator("#sign-out").click()
    page.wait_for_url(f"{sidecar.url}/ui/realms/{REALM}/signed-out**")
    shoot(page, test_output, "admin-10-signed-out")
    page.goto(f"{sidecar.url}/ui/realms/{REALM}/employees")
    page.locator("#username").wait_for()  # Keycloak asks for the password again: its session ended too


def test_employees_list_on_ten_thousand_users(ui_page: Page, sidecar, administrator, ten_thousand_employees,
                                              test_output):  # fmt: skip
    page = ui_page
    who = administrator("realm-admin", prefix="uibulk")
    sign_in_to_admin_ui(page, sidecar.url, who)
    page.goto(f"{sidecar.url}/ui/realms/{REALM}/employees?search={BULK_PREFIX}")
    table = page.locator("#employees-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == 20
    assert "10000" in page.content().replace(",", "").replace(".", "")
    shoot(page, test_output, "admin-11-ten-thousand")
    page.locator("#page-next").click()
    page.locator("#page-prev").wait_for()
    assert "bulk-00020" in page.locator("#employees-table").inner_text()


def test_admin_ui_headers(sidecar, keycloak):
    response = requests.get(f"{sidecar.url}/ui/realms/{REALM}/signed-out", timeout=10)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def confirm(page: Page, action: str, reason: str, on_form=lambda: None) -> None:
    """Press an Overview action, give the reason on its confirmation page, confirm, wait for the result."""
    page.locator(f"#{action}").click()
    page.locator(f"#{action}-form").wait_for()
    on_form()
    page.locator("#reason").fill(reason)
    page.locator(f"#confirm-{action}").click()
    page.locator("#flash").wait_for()


def test_revoke_codes_and_remove_backup_email(ui_page: Page, sidecar, administrator, new_employee, issue_codes,
                                              sign_in, mail_sink, test_output):  # fmt: skip
    page = ui_page
    who = administrator("realm-admin", prefix="uirevoke")
    employee = new_employee()
    add_backup_address(sign_in, employee, mail_sink)
    issue_codes(employee)
    sign_in_to_admin_ui(page, sidecar.url, who, path=f"/employees/{employee.user_id}")
    confirm(page, "revoke-backup-codes", "The printed codes were left on a train",
            lambda: shoot(page, test_output, "admin-12-revoke-backup-codes-confirm"))  # fmt: skip
    assert page.locator("#revoke-backup-codes").count() == 0, "no codes left to revoke"
    confirm(page, "remove-backup-email", "The address belonged to a former partner")
    assert page.locator("#remove-backup-email").count() == 0
    shoot(page, test_output, "admin-13-methods-revoked")

    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    assert attempt.use_backup().has("mfa-recovery-no-method"), "neither method is left for the employee"


def test_recovery_options_are_saved(ui_page: Page, sidecar, administrator, realm_options, test_output):
    page = ui_page
    who = administrator("realm-admin", prefix="uioptions")
    sign_in_to_admin_ui(page, sidecar.url, who, path="/settings/general")
    page.locator("#options-form").wait_for()
    page.locator("#warning_threshold").fill("25")
    page.locator("#save-options").click()
    page.locator("#warning_threshold-error").wait_for()
    shoot(page, test_output, "admin-14-options-invalid")
    page.locator("#warning_threshold").fill("2")
    page.locator("#save-options").click()
    page.locator("#flash").wait_for()
    shown = sidecar.cli("realm-options", "show", "--realm", REALM)
    assert "2" in [line.split()[-1] for line in shown.stdout.splitlines() if "warning" in line.lower()], shown.stdout
