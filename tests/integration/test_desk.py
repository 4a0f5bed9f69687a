"""The recovery desk's request page over HTTP, against the real sidecar and Keycloak: the same answer whether or not
the account exists, the mail to an existing account, hostile documents refused with nothing kept, and the purge after
the retention period (files and rows gone, audit entries left)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import String, create_engine, func, select, update

from mfa_recovery.store.tables import audit_events, desk_cases, desk_documents
from tests.support.desk import REQUEST_PAGE as PAGE
from tests.support.desk import case_number_of, file_request
from tests.support.desk_files import (
    VALID_BSN,
    clean_objects,
    clean_pdf,
    identity_document,
    jpeg_with_gps,
    pdf,
)
from tests.support.employees import email_of

JAVASCRIPT_PDF = pdf(
    clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")
)


@pytest.fixture
def store(sidecar):
    engine = create_engine(sidecar.database_url)
    yield engine
    engine.dispose()


def counts(store) -> tuple[int, int]:
    with store.connect() as conn:
        return (conn.execute(select(func.count()).select_from(desk_cases)).scalar_one(),
                conn.execute(select(func.count()).select_from(desk_documents)).scalar_one())  # fmt: skip


def test_the_answer_is_the_same_whether_or_not_the_account_exists(sidecar, new_employee, mail_sink):
    employee = new_employee()
    known = file_request(sidecar.url, employee.username)
    unknown = file_request(sidecar.url, f"nobody-{employee.username}")
    assert known.status_code == unknown.status_code == 200
    first, second = case_number_of(known), case_number_of(unknown)
    assert first != second
    assert known.text.replace(first, "<case>") == unknown.text.replace(second, "<case>")

    mail = mail_sink.wait_for_subject(email_of(employee), "A recovery request was filed for your account")
    body = mail.get_body(("plain",))
    assert body is not None and first in body.get_content()


@pytest.mark.parametrize(
    ("documents", "field"),
    [
        ({"kvk_extract": JAVASCRIPT_PDF}, "kvk_extract"),
        ({"kvk_extract": identity_document(covered=True)}, "kvk_extract"),  # a picture named .pdf
        ({"id_document": clean_pdf()}, "id_document"),  # a PDF named .png
    ],
    ids=["pdf-with-javascript", "image-as-pdf", "pdf-as-image"],
)
def test_a_hostile_document_is_refused_and_nothing_is_kept(sidecar, store, documents, field, new_employee):
    before, files_before = counts(store), len(sidecar.desk_files())
    response = file_request(sidecar.url, new_employee().username, **documents)
    assert response.status_code == 400
    assert BeautifulSoup(response.text, "html.parser").find(id=f"{field}-error") is not None, response.text
    assert counts(store) == before and len(sidecar.desk_files()) == files_before


def test_a_document_over_the_size_limit_is_refused_and_nothing_is_kept(sidecar, store, new_employee):
    before, files_before = counts(store), len(sidecar.desk_files())
    oversized = clean_pdf() + b"%" + b"x" * (10 * 1024 * 1024)  # a valid PDF, padded past the 10 MiB default
    response = file_request(sidecar.url, new_employee().username, kvk_extract=oversized)
    assert response.status_code == 400
    error = BeautifulSoup(response.text, "html.parser").find(id="kvk_extract-error")
    assert error is not None and "MB" in error.get_text(), response.text
    assert counts(store) == before and len(sidecar.desk_files()) == files_before


def test_two_files_for_one_document_are_refused_and_nothing_is_kept(sidecar, store, new_employee):
    before, files_before = counts(store), len(sidecar.desk_files())
    second = ("selfie", ("selfie-2.jpg", jpeg_with_gps(), "image/jpeg"))
    response = file_request(sidecar.url, new_employee().username, extra=(second,))
    assert response.status_code == 400
    error = BeautifulSoup(response.text, "html.parser").find(id="selfie-error")
    assert error is not None and "exactly one file" in error.get_text(), response.text
    assert counts(store) == before and len(sidecar.desk_files()) == files_before


@pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract-ocr is not installed (scripts/test.sh installs it)"
)
def test_an_identity_document_with_a_legible_bsn_is_refused(sidecar, store, new_employee):
    before, files_before = counts(store), len(sidecar.desk_files())
    response = file_request(sidecar.url, new_employee().username, id_document=identity_document(covered=False))
    assert response.status_code == 400
    assert "citizen service number" in response.text
    assert VALID_BSN not in response.text
    assert counts(store) == before and len(sidecar.desk_files()) == files_before


def test_purge_after_the_retention_period_removes_files_and_rows_and_leaves_audit_entries(sidecar, store, new_employee):
    case_number = case_number_of(file_request(sidecar.url, new_employee().username))
    with store.begin() as conn:
        (case_id,) = conn.execute(select(desk_cases.c.id).where(desk_cases.c.case_number == case_number)).one()
        of_case = desk_documents.c.case_id == case_id
        file_names = {name for (name,) in conn.execute(select(desk_documents.c.file_name).where(of_case))}
        long_ago = datetime.now(UTC) - timedelta(days=31)
        conn.execute(update(desk_cases).where(desk_cases.c.id == case_id).values(created_at=long_ago))

    purged = sidecar.cli("desk", "purge")
    assert purged.returncode == 0, purged.stderr

    with store.connect() as conn:
        assert conn.execute(select(desk_cases).where(desk_cases.c.id == case_id)).first() is None
        assert conn.execute(select(desk_documents).where(desk_documents.c.case_id == case_id)).first() is None
        about_case = audit_events.c.detail.cast(String).contains(case_number)
        actions = conn.execute(select(audit_events.c.action).where(about_case)).all()
    assert len(file_names) == 3
    assert not file_names & {path.name for path in sidecar.desk_files()}
    assert {"desk.request_filed", "desk.case_deleted"} <= {action for (action,) in actions}


def test_a_request_is_refused_without_the_form_token(sidecar, store):
    before = counts(store)
    response = requests.post(f"{sidecar.url}{PAGE}", data={"organisation": "x"}, timeout=30)
    assert response.status_code == 400
    assert counts(store) == before
