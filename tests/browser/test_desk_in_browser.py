"""The recovery desk in a real browser against the real stack: the sign-in pages' link to it, and an administrator
filing a request with a copy of their identity document that the page masks and stamps before it is sent.

What leaves the browser is read at the moment the form is sent (``keep_what_is_sent`` in
``tests/support/desk_page.py``), so the test checks that the masked area of the copy is black and that the original
file is not among the data; then that the copy the desk stored is black there too and stamped.
"""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import Page

from mfa_recovery.desk.intake import DocumentKind
from tests.support.desk_page import (
    BSN_FIELD,
    CARD_SIZE,
    NUMBER_LINE,
    ORIGINAL_NAME,
    REALM,
    blacked_out,
    dark,
    file_a_request,
    make_documents,
    open_request_page,
    shoot,
    stamped,
)
from tests.support.signin import DemoClient


def test_the_sign_in_pages_link_to_the_desk(page: Page, keycloak, sidecar, new_employee, test_output):
    page.goto(DemoClient(keycloak).authorization_url())
    link = page.locator("#mfa-recovery-desk-link")
    assert link.inner_text().strip() == "Administrator and lost your MFA?"
    assert link.get_attribute("href") == f"{sidecar.url}/desk/request?realm={REALM}&lang=en"
    shoot(page, test_output, "desk-00-sign-in-link")

    employee = new_employee()
    page.locator("#username").fill(employee.username)
    page.locator("#password").fill(employee.password)
    page.locator("#kc-login").click()
    page.locator("#mfa-recovery-link").wait_for()
    link = page.locator("#mfa-recovery-desk-link")
    assert link.get_attribute("href") == f"{sidecar.url}/desk/request?realm={REALM}&lang=en"
    shoot(page, test_output, "desk-00-otp-link")
    link.click()
    page.wait_for_url(f"{sidecar.url}/desk/request**")
    assert page.locator("h1").count() == 1  # the request form, or the page saying the desk is closed


def test_the_dutch_sign_in_page_links_to_the_dutch_desk(page: Page, keycloak, sidecar, test_output):
    page.goto(DemoClient(keycloak, ui_locales="nl").authorization_url())
    link = page.locator("#mfa-recovery-desk-link")
    assert link.inner_text().strip() == "Beheerder en je MFA kwijt?"
    assert link.get_attribute("href") == f"{sidecar.url}/desk/request?realm={REALM}&lang=nl"
    link.click()
    page.locator("h1").wait_for()
    assert page.locator("html").get_attribute("lang") == "nl"
    shoot(page, test_output, "desk-nl-01-request-page")


def test_file_a_request_with_a_masked_copy(page: Page, sidecar, test_output, tmp_path):
    open_request_page(page, sidecar.url)
    documents = make_documents(tmp_path)
    case_number, sent = file_a_request(page, documents, test_output)
    assert case_number

    files = {entry.name: entry for entry in sent if entry.filename is not None}
    assert set(files) == {"kvk_extract", "id_document", "selfie"}  # the picker of the original has no name
    original = documents["id"].read_bytes()
    assert all(entry.content != original and entry.filename != ORIGINAL_NAME for entry in sent)
    copy = files["id_document"]
    assert copy.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(copy.content)).size == CARD_SIZE  # the picture's own resolution
    assert blacked_out(copy.content, BSN_FIELD)
    assert blacked_out(copy.content, NUMBER_LINE)
    assert not blacked_out(copy.content, (600, 100, 1500, 800))  # the rest of the card is still there
    assert files["kvk_extract"].content == documents["kvk"].read_bytes()
    assert files["selfie"].content == documents["selfie"].read_bytes()

    # What the desk keeps: the masked copy, re-encoded, black where masked and stamped across; sealed on disk.
    stored = sidecar.desk_document(case_number, DocumentKind.ID_DOCUMENT)
    assert Image.open(io.BytesIO(stored)).size == CARD_SIZE
    assert dark(stored, BSN_FIELD) and dark(stored, NUMBER_LINE)
    assert stamped(stored, documents["id"].read_bytes())
    assert all(stored not in path.read_bytes() and b"%PDF" not in path.read_bytes() for path in sidecar.desk_files())
