"""The recovery desk's pages in the admin UI, from the attacker's side first: an administrator who is not an
operator, a form without its token, an operator deciding their own case; then the queue, the case page (documents
only when asked for, each view audited), notes, approving and rejecting.

The operator realm is configurable; here it is the fake Keycloak's one realm, whose sign-in the harness drives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.desk.repository import Case, SqlDeskRepository
from tests.support.desk_files import file_case

from .fakes.admin_ui import UI, UiHarness, close, content, form_of, make_ui
from .fakes.clock import FakeClock
from .fakes.keycloak import EVERYTHING
from .support import EMPLOYEE, REALM, USER_ID
from .test_admin_ui_employees import element

ROLE = "mfa-recovery-operator"
DESK = f"{UI}/desk"
OP1 = "0b000000-0000-4000-8000-000000000001"
OP2 = "0b000000-0000-4000-8000-000000000002"


@pytest.fixture
def ui(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[UiHarness]:
    harness = make_ui(replace(settings, desk_operator_realm=REALM), clock, fast_hasher)
    harness.keycloak.role_holders = {"realm-admin": [USER_ID]}
    harness.keycloak.grants.update({"op1": EVERYTHING, "op2": EVERYTHING})
    yield harness
    close(harness)


def sign_in_operator(ui: UiHarness, username: str = "op1", subject: str = OP1) -> None:
    ui.client.delete_cookie("mfa_recovery_ui", path="/ui")
    ui.tokens.access_claims = {"realm_access": {"roles": [ROLE]}, "sub": subject}
    ui.tokens.id_claims = {"sub": subject}
    ui.sign_in(username)


def new_case(ui: UiHarness, **changes: Any) -> Case:
    return file_case(ui.services, matched_user_id=USER_ID, account=EMPLOYEE.username, **changes)


def case_page(case: Case) -> str:
    return f"{DESK}/cases/{case.case_number}"


def stored(ui: UiHarness, case: Case) -> Case:
    found = SqlDeskRepository(ui.services.engine).get(case.id)
    assert found is not None
    return found


def audit_actions(ui: UiHarness) -> list[str]:
    return [row["action"] for row in ui.services.audit.recent(200)]


def flash(html: str) -> str:
    return content(html, "flash")


# --- who may ------------------------------------------------------------------------------------------------------


def test_an_administrator_without_the_operator_role_sees_no_desk(ui: UiHarness) -> None:
    case = new_case(ui)
    ui.sign_in("admin")
    assert 'id="nav-desk"' not in ui.page(f"{UI}/employees")
    for path in (DESK, case_page(case), f"{case_page(case)}?show=documents"):
        response = ui.client.get(path)
        assert response.status_code == 403
        html = response.get_data(as_text=True)
        assert "The recovery desk is for operators" in html and ROLE in html and case.kvk_number not in html


def test_an_administrator_without_the_role_cannot_decide_even_with_a_valid_form(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    _, token = form_of(ui.page(case_page(case)), "reject-form")
    ui.tokens.access_claims = {"realm_access": {"roles": []}, "sub": OP1}  # the role is taken away, then a refresh
    ui.clock.advance(600)
    response = ui.client.post(f"{case_page(case)}/reject", data={"csrf_token": token, "reject_reason": "x"})
    assert response.status_code == 403
    assert stored(ui, case).status == "open"


def test_a_decision_without_the_form_token_changes_nothing(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    response = ui.client.post(f"{case_page(case)}/approve", data={"user_id": USER_ID, "approve_reason": "called"})
    assert response.status_code == 403 and "This form cannot be sent" in response.get_data(as_text=True)
    assert stored(ui, case).status == "open"
    assert [c["type"] for c in ui.keycloak.credentials[USER_ID]] == ["password", "otp"]


def test_a_form_token_of_another_case_is_refused(ui: UiHarness) -> None:
    first, second = new_case(ui), new_case(ui)
    sign_in_operator(ui)
    _, token = form_of(ui.page(case_page(first)), "reject-form")
    response = ui.client.post(f"{case_page(second)}/reject", data={"csrf_token": token, "reject_reason": "no"})
    assert response.status_code == 403
    assert stored(ui, second).status == "open"


def test_an_operator_cannot_decide_their_own_case(ui: UiHarness) -> None:
    case = file_case(ui.services, account="OP1")
    sign_in_operator(ui)
    response = ui.post_form(case_page(case), "reject-form", {"reject_reason": "mine"}, follow_redirects=True)
    assert "about your own account" in flash(response.get_data(as_text=True))
    assert stored(ui, case).status == "open"
    assert "desk.decision_refused" in audit_actions(ui)


# --- the queue and the case ---------------------------------------------------------------------------------------


def test_the_queue_lists_open_cases_with_their_age_in_english_and_dutch(ui: UiHarness) -> None:
    case = new_case(ui, created_at=ui.clock() - timedelta(days=3, hours=2))
    decided = new_case(ui)
    sign_in_operator(ui)
    ui.post_form(case_page(decided), "reject-form", {"reject_reason": "no call back possible"})
    html = ui.page(DESK)
    assert 'aria-current="page"' in element(html, "nav-desk")
    row = content(html, f"case-{case.case_number}")
    assert "Acme B.V." in row and REALM in row and EMPLOYEE.username in row and "3 days" in row
    assert f"case-{decided.case_number}" not in html
    assert "3 dagen" in content(ui.page(DESK, query_string={"lang": "nl"}), f"case-{case.case_number}")


def test_the_case_page_shows_the_request_and_the_realms_administrators(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    html = ui.page(case_page(case))
    assert case.kvk_number in content(html, "kvk-number") and case.phone in html
    administrator = content(html, f"administrator-{USER_ID}")
    assert "Matches the request" in administrator and "realm-admin" in administrator
    assert "checked" in element(html, f"user-{USER_ID}")  # the one match is chosen already
    assert "Done: no legible citizen service number" in content(html, "ocr-check")


def test_documents_show_only_when_asked_and_each_view_is_audited(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    html = ui.page(case_page(case))
    assert "<img" not in html and "desk.document_viewed" not in audit_actions(ui)
    shown = ui.page(case_page(case), query_string={"show": "documents"})
    images = re.findall(r'<img src="([^"]+)"', shown)
    assert len(images) == 2
    response = ui.client.get(images[0].replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = re.search(r'id="download-kvk_extract" href="([^"]+)"', shown)
    assert pdf is not None
    download = ui.client.get(pdf.group(1))
    assert download.mimetype == "application/pdf" and download.headers["Content-Disposition"].startswith("attachment")
    assert audit_actions(ui).count("desk.document_viewed") == 2


def test_an_unknown_case_is_a_not_found_page(ui: UiHarness) -> None:
    sign_in_operator(ui)
    assert ui.client.get(f"{DESK}/cases/MFA-0000-0000").status_code == 404
    assert ui.client.get(f"{DESK}/cases/<script>").status_code == 404


# --- notes and decisions ------------------------------------------------------------------------------------------


def test_a_note_is_added_and_a_bad_one_is_refused_with_the_text_kept(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    refused = ui.post_form(case_page(case), "note-form", {"text": "bad \x07 bell"})
    assert refused.status_code == 400
    assert "Write a note of 1 to 2000 characters" in content(refused.get_data(as_text=True), "text-error")
    response = ui.post_form(case_page(case), "note-form", {"text": "Called +31 20 123 4567\nvia switchboard"})
    assert response.status_code == 303
    notes = content(ui.page(case_page(case)), "notes")
    assert "via switchboard" in notes and "op1" in notes


def test_approving_needs_a_reason_and_an_administrator(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    response = ui.post_form(case_page(case), "approve-form", {"user_id": USER_ID, "approve_reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in content(response.get_data(as_text=True), "approve_reason-error")
    response = ui.post_form(case_page(case), "approve-form", {"approve_reason": "called back"})
    assert response.status_code == 400
    assert "Choose the administrator" in content(response.get_data(as_text=True), "user_id-error")
    assert stored(ui, case).status == "open"


def test_approving_resets_the_administrators_mfa_and_closes_the_case(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    form = {"user_id": USER_ID, "approve_reason": "called back via switchboard"}
    html = ui.post_form(case_page(case), "approve-form", form, follow_redirects=True).get_data(as_text=True)
    assert "The administrator's MFA is reset" in flash(html)
    assert "Approved" in content(html, "case-status") and 'id="approve-form"' not in html
    assert [c["type"] for c in ui.keycloak.credentials[USER_ID]] == ["password"]
    assert ui.keycloak.users[USER_ID]["requiredActions"] == ["CONFIGURE_TOTP"]
    assert "The documents were deleted" in content(html, "no-documents")


def test_with_four_eyes_a_second_operator_carries_out_the_approval(ui: UiHarness) -> None:
    ui.services.realm_options.update(REALM, "test", desk_four_eyes=True)
    case = new_case(ui)
    form = {"user_id": USER_ID, "approve_reason": "called back"}
    sign_in_operator(ui)
    first = ui.post_form(case_page(case), "approve-form", form, follow_redirects=True).get_data(as_text=True)
    assert "A second operator must approve" in flash(first) and "op1" in content(first, "approvals")
    again = ui.post_form(case_page(case), "approve-form", form, follow_redirects=True).get_data(as_text=True)
    assert "You approved this case already" in flash(again)
    assert [c["type"] for c in ui.keycloak.credentials[USER_ID]] == ["password", "otp"]
    sign_in_operator(ui, "op2", OP2)
    ui.post_form(case_page(case), "approve-form", form)
    assert stored(ui, case).status == "approved"
    assert [c["type"] for c in ui.keycloak.credentials[USER_ID]] == ["password"]


def test_rejecting_closes_the_case_and_changes_nothing_in_keycloak(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    missing = ui.post_form(case_page(case), "reject-form", {"reject_reason": " "})
    assert missing.status_code == 400 and stored(ui, case).status == "open"
    form = {"reject_reason": "the call back did not reach the requester"}
    html = ui.post_form(case_page(case), "reject-form", form, follow_redirects=True).get_data(as_text=True)
    assert "Rejected" in flash(html)
    assert stored(ui, case).status == "rejected"
    assert [c["type"] for c in ui.keycloak.credentials[USER_ID]] == ["password", "otp"]
    (mail,) = ui.services.outbox.due()
    assert mail.kind == "desk_rejected" and mail.detail["reason"] == form["reject_reason"]


def test_a_decided_case_cannot_be_decided_again(ui: UiHarness) -> None:
    case = new_case(ui)
    sign_in_operator(ui)
    page = ui.page(case_page(case))
    _, reject_token = form_of(page, "reject-form")
    _, approve_token = form_of(page, "approve-form")
    ui.client.post(f"{case_page(case)}/reject", data={"csrf_token": reject_token, "reject_reason": "no"})
    data = {"csrf_token": approve_token, "user_id": USER_ID, "approve_reason": "late"}
    html = ui.client.post(f"{case_page(case)}/approve", data=data, follow_redirects=True).get_data(as_text=True)
    assert "decided already" in flash(html)
    assert stored(ui, case).status == "rejected"
    assert [c["type"] for c in ui.keycloak.credentials[USER_ID]] == ["password", "otp"]
