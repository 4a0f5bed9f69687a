"""A whole recovery-desk case in a real browser against the real stack: an administrator of acme who lost their
authenticator files a request on the request page, masking their ID copy on the canvas; an operator signs in to the
admin UI of ``master`` with Keycloak, finds the case in the queue, looks at the documents (the ID copy black where
masked, stamped), writes down the call back and approves; the administrator then signs in with their password and
Keycloak makes them set up a new authenticator app. Also in Dutch, and for a user of master without the operator
role."""

from __future__ import annotations

import pytest
from keycloak import KeycloakAdmin
from playwright.sync_api import Browser, Page

from mfa_recovery.desk.intake import DocumentKind
from tests.support.admin_api import grant_realm_management
from tests.support.desk import Operator, case_number_of, create_operator, file_request
from tests.support.desk_page import (
    BSN_FIELD,
    NUMBER_LINE,
    dark,
    file_a_request,
    make_documents,
    open_request_page,
    stamped,
)
from tests.support.employees import Employee
from tests.support.screenshots import shoot

OPERATOR_REALM = "master"
REASON = "Called back via the Acme switchboard; KvK extract and ID copy match"


@pytest.fixture
def realm_administrator(admin: KeycloakAdmin, new_employee) -> Employee:
    """An administrator of acme (realm-management's manage-users) with an authenticator app: the requester."""
    person = new_employee()
    grant_realm_management(admin, person.user_id, ("manage-users",))
    return person


def sign_in_to_desk(page: Page, sidecar_url: str, who: Operator) -> None:
    page.goto(f"{sidecar_url}/ui/realms/{OPERATOR_REALM}/desk")
    page.locator("#username").fill(who.username)
    page.locator("#password").fill(who.password)
    page.locator("#kc-login").click()


def image_loaded(page: Page, selector: str) -> bool:
    return bool(page.locator(selector).evaluate("image => image.complete && image.naturalWidth > 0"))


def test_a_whole_case_from_the_request_to_a_new_authenticator(
    browser: Browser, ui_page: Page, sidecar, admin, master_admin, admin_api_ready, realm_administrator, sign_in,
    test_output, tmp_path,
):  # fmt: skip
    requester = browser.new_page(locale="en-GB", ignore_https_errors=True)
    open_request_page(requester, sidecar.url)
    documents = make_documents(tmp_path)
    case_number, _ = file_a_request(
        requester, documents, test_output, account=realm_administrator.username, screenshots=False
    )
    requester.context.close()
    stored = sidecar.desk_document(case_number, DocumentKind.ID_DOCUMENT)
    assert dark(stored, BSN_FIELD) and dark(stored, NUMBER_LINE) and stamped(stored, documents["id"].read_bytes())

    page = ui_page
    sign_in_to_desk(page, sidecar.url, create_operator(master_admin))

    row = page.locator(f"#case-{case_number}")
    row.wait_for()
    assert realm_administrator.username in row.inner_text() and "Acme B.V." in row.inner_text()
    shoot(page, test_output, "desk-operator-01-queue")

    row.get_by_role("link", name=case_number).click()
    page.locator("#kvk-number").wait_for()
    assert page.locator("#kvk-number").inner_text() == "12345678"
    assert page.locator("img").count() == 0, "documents show only when asked for"
    chosen = page.locator(f"#user-{realm_administrator.user_id}")
    assert chosen.is_checked(), "the administrator matching the request is chosen already"
    shoot(page, test_output, "desk-operator-02-case")

    page.locator("#show-documents").click()
    page.locator("#document-id_document img").wait_for()
    assert image_loaded(page, "#document-id_document img") and image_loaded(page, "#document-selfie img")
    assert page.locator("#download-kvk_extract").count() == 1
    shoot(page, test_output, "desk-operator-03-documents")

    page.locator("#text").fill("Called +31 20 123 4567 via the switchboard.\nAsked for the KvK number: correct.")
    page.locator("#add-note").click()
    page.locator("#flash").wait_for()
    assert "via the switchboard" in page.locator("#notes").inner_text()

    page.locator("#approve_reason").fill(REASON)
    page.locator("#approve").click()
    page.locator("#flash").wait_for()
    assert "MFA is reset" in page.locator("#flash").inner_text()
    assert "Approved" in page.locator("#case-status").inner_text()
    assert page.locator("#approve-form").count() == 0 and page.locator("#no-documents").is_visible()
    shoot(page, test_output, "desk-operator-04-approved")

    credentials = admin.get_credentials(realm_administrator.user_id)
    assert [credential["type"] for credential in credentials] == ["password"]
    attempt = sign_in()
    assert attempt.password(realm_administrator.username, realm_administrator.password).has("kc-totp-settings-form")

    page.locator("#nav-desk").click()
    page.locator("h1").wait_for()
    assert page.locator(f"#case-{case_number}").count() == 0, "a decided case leaves the queue"


@pytest.mark.parametrize("ui_page", ["nl"], indirect=True)
def test_the_desk_in_dutch_and_a_rejection(ui_page: Page, sidecar, master_admin, admin_api_ready, realm_administrator,
                                          test_output):  # fmt: skip
    page = ui_page
    case_number = case_number_of(file_request(sidecar.url, realm_administrator.username))
    sign_in_to_desk(page, sidecar.url, create_operator(master_admin))
    page.locator(f"#case-{case_number}").wait_for()
    assert page.locator("#nav-desk").inner_text() == "Herstelloket"
    shoot(page, test_output, "desk-operator-nl-01-queue")

    page.locator(f"#case-{case_number} a").click()
    page.locator("#reject").click()  # without a reason
    page.locator("#reject_reason-error").wait_for()
    assert "Geef een reden" in page.locator("#reject_reason-error").inner_text()
    shoot(page, test_output, "desk-operator-nl-02-case-reason-missing")

    page.locator("#reject_reason").fill("Terugbellen lukte niet op het nummer van de centrale")
    page.locator("#reject").click()
    page.locator("#flash").wait_for()
    assert "Afgewezen" in page.locator("#flash").inner_text()
    shoot(page, test_output, "desk-operator-nl-03-rejected")


def test_a_master_user_without_the_operator_role_sees_no_desk(
    ui_page: Page, sidecar, master_admin, new_employee, test_output
):
    case_number = case_number_of(file_request(sidecar.url, new_employee().username))
    page = ui_page
    sign_in_to_desk(page, sidecar.url, create_operator(master_admin, operator_role=False))
    page.locator("h1").wait_for()
    assert "The recovery desk is for operators" in page.locator("h1").inner_text()
    assert page.locator("#nav-desk").count() == 0
    shoot(page, test_output, "desk-operator-05-not-an-operator")
    for path in (f"/cases/{case_number}", f"/cases/{case_number}?show=documents"):
        response = page.goto(f"{sidecar.url}/ui/realms/{OPERATOR_REALM}/desk{path}")
        assert response is not None and response.status == 403
        assert "12345678" not in page.content()
