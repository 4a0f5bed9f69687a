"""Filing a recovery request, wired as the sidecar wires it (build_services): hostile fields, documents and floods
first, then nothing left behind when anything fails, answers that tell nothing about the account, and what a filed
case holds."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from mfa_recovery.config import Settings
from mfa_recovery.desk import filing
from mfa_recovery.desk.bsn import BSN_ON_ID_DOCUMENT, BSN_ON_SELFIE, NOT_CHECKED, OcrFailed, tesseract_available
from mfa_recovery.desk.documents import ACTIVE_PDF, MISSING, NOT_AN_IMAGE
from mfa_recovery.desk.filing import (
    NOT_A_KVK_NUMBER,
    NOT_A_PHONE,
    NOT_A_REALM,
    NOT_ONE_LINE,
    REQUIRED,
    TOO_LONG,
    DeskFiling,
)
from mfa_recovery.desk.intake import DeskIntake, DocumentKind, Filed, RequestRefused, TooManyRequests
from mfa_recovery.desk.repository import MATCHED, NO_MATCH, UNAVAILABLE, Case, SqlDeskRepository
from mfa_recovery.desk.vault import DocumentVault, VaultFiles
from mfa_recovery.directory import DirectoryUser
from mfa_recovery.notifications.outbox import DESK_REQUEST_FILED
from mfa_recovery.services import Services, build_services
from mfa_recovery.store.tables import desk_cases, desk_documents, notification_outbox
from tests.support.desk_files import VALID_BSN, clean_objects, identity_document, pdf, recovery_request, uploads

from .conftest import Wiring
from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .support import DEV_ENV, PEPPER, REALM, USER_ID

CASE_NUMBER = r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"


class Ocr:
    """The desk's OCR stand-in: reads what the test says (``found``), or nothing when ``installed`` is False."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.installed = True
        self.failure: Exception | None = None
        self.images: list[bytes] = []
        self.bsn_on_image: int | None = None  # the n-th image read (from 1) shows a BSN

    def __call__(self, image: bytes) -> list[str] | None:
        self.images.append(image)
        if self.failure is not None:
            raise self.failure
        if self.bsn_on_image == len(self.images):
            return [VALID_BSN]
        return list(self.found) if self.installed else None


@pytest.fixture
def ocr() -> Ocr:
    return Ocr()


@pytest.fixture
def desk_settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"),
            "MFA_RECOVERY_CODE_PEPPER": PEPPER,
            "MFA_RECOVERY_NOTIFICATIONS": "off",
            "MFA_RECOVERY_DESK_SOURCE_LIMIT": "5",
        }
    )


@pytest.fixture
def desk(desk_settings: Settings, wiring: Wiring, ocr: Ocr) -> Iterator[Services]:
    services = build_services(desk_settings, **wiring, read_bsns=ocr)
    yield services
    services.engine.dispose()


def intake(services: Services) -> DeskIntake:
    assert services.desk_intake is not None, "the desk is on in development"
    return services.desk_intake


def file(services: Services, **changes: object) -> Filed:
    return intake(services).file(recovery_request(**changes))


def refused(services: Services, **changes: object) -> RequestRefused:
    with pytest.raises(RequestRefused) as refusal:
        file(services, **changes)
    return refusal.value


def cases(services: Services) -> list[Case]:
    with services.engine.connect() as conn:
        ids = list(conn.execute(select(desk_cases.c.id).order_by(desk_cases.c.created_at)).scalars())
    found = [SqlDeskRepository(services.engine).get(case_id) for case_id in ids]
    return [case for case in found if case is not None]


def count(services: Services, table: Any) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def files(services: Services) -> list[Path]:
    directory = services.settings.desk_dir
    return sorted(directory.iterdir()) if directory.exists() else []


def desk_events(services: Services) -> list[dict[str, Any]]:
    return [event for event in services.audit.recent(1000) if event["action"].startswith("desk.")]


def nothing_stored(services: Services) -> None:
    assert count(services, desk_cases) == 0 and count(services, desk_documents) == 0
    assert files(services) == []
    assert desk_events(services) == []
    assert count(services, notification_outbox) == 0


# --- hostile fields ------------------------------------------------------------------------------------------------

HOSTILE_FIELDS = [
    ("organisation", "", REQUIRED),
    ("organisation", "   ", REQUIRED),
    ("organisation", "Acme\nB.V.", NOT_ONE_LINE),
    ("organisation", "Acme\tB.V.", NOT_ONE_LINE),
    ("organisation", "Acme\x00", NOT_ONE_LINE),
    ("organisation", "Ac\u0085me", NOT_ONE_LINE),
    ("organisation", "Acme \ud800", NOT_ONE_LINE),
    ("organisation", "x" * 201, TOO_LONG),
    ("realm", "", REQUIRED),
    ("realm", "../master", NOT_A_REALM),
    ("realm", "acme/../master", NOT_A_REALM),
    ("realm", "..", NOT_A_REALM),
    ("realm", "ac me", NOT_A_REALM),
    ("realm", "acme%2Fx", NOT_A_REALM),
    ("realm", "ac\nme", NOT_A_REALM),
    ("realm", "x" * 256, NOT_A_REALM),
    ("account", "", REQUIRED),
    ("account", "jdoe\r\nBcc: x@evil.example", NOT_ONE_LINE),
    ("account", "x" * 256, TOO_LONG),
    ("phone", "12345", NOT_A_PHONE),
    ("phone", "0" * 33, NOT_A_PHONE),
    ("phone", "+31 20 123 456a", NOT_A_PHONE),
    ("phone", "((( ))) ---", NOT_A_PHONE),
    ("phone", "+31 20\n1234567", NOT_A_PHONE),
    ("phone", "０２０１２３４５６７", NOT_A_PHONE),  # noqa: RUF001 - full-width digits
    ("kvk_number", "1234567", NOT_A_KVK_NUMBER),
    ("kvk_number", "123456789", NOT_A_KVK_NUMBER),
    ("kvk_number", "1234567a", NOT_A_KVK_NUMBER),
    ("kvk_number", "١٢٣٤٥٦٧٨", NOT_A_KVK_NUMBER),
    ("kvk_number", "12345678; DROP", NOT_A_KVK_NUMBER),
]


@pytest.mark.parametrize(("field", "value", "message"), HOSTILE_FIELDS)
def test_hostile_fields_are_refused_and_nothing_is_stored(
    desk: Services, ocr: Ocr, field: str, value: str, message: str
) -> None:
    refusal = refused(desk, **{field: value})
    assert (refusal.field, refusal.message) == (field, message)
    assert ocr.images == []  # refused before any document was looked at
    nothing_stored(desk)


def test_a_field_that_is_no_text_is_refused(desk: Services) -> None:
    refusal = refused(desk, account=None)
    assert (refusal.field, refusal.message) == ("account", REQUIRED)


def test_too_long_names_its_length(desk: Services) -> None:
    assert refused(desk, organisation="x" * 201).values == {"length": 200}
    assert refused(desk, account="x" * 256).values == {"length": 255}


# --- hostile documents ---------------------------------------------------------------------------------------------


def test_a_pdf_with_a_script_is_refused_and_nothing_is_stored(desk: Services) -> None:
    objects = {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"),
               5: b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"}  # fmt: skip
    refusal = refused(desk, documents=uploads(kvk=pdf(objects)))
    assert (refusal.field, refusal.message) == ("kvk_extract", ACTIVE_PDF)
    nothing_stored(desk)


def test_a_missing_or_swapped_document_is_refused(desk: Services) -> None:
    documents = [upload for upload in uploads() if upload.kind is not DocumentKind.SELFIE]
    assert (refused(desk, documents=documents).field, refused(desk, documents=documents).message) == (
        "selfie", MISSING,
    )  # fmt: skip
    swapped = uploads(selfie=uploads()[0].content)  # the PDF where the selfie goes
    assert (refused(desk, documents=swapped).field, refused(desk, documents=swapped).message) == (
        "selfie", NOT_AN_IMAGE,
    )  # fmt: skip
    nothing_stored(desk)


@pytest.mark.parametrize(
    ("image", "kind", "message"), [(1, "id_document", BSN_ON_ID_DOCUMENT), (2, "selfie", BSN_ON_SELFIE)]
)
def test_a_legible_bsn_refuses_the_request_and_nothing_is_stored(
    desk: Services, ocr: Ocr, image: int, kind: str, message: str
) -> None:
    ocr.bsn_on_image = image  # the ID is read first, then the selfie
    refusal = refused(desk)
    assert (refusal.field, refusal.message) == (kind, message)
    nothing_stored(desk)


def test_ocr_reads_the_images_as_they_will_be_kept(desk: Services, ocr: Ocr) -> None:
    file(desk)
    assert len(ocr.images) == 2
    for image in ocr.images:
        with Image.open(io.BytesIO(image)) as opened:
            assert opened.format == "JPEG" and not opened.getexif()


def test_ocr_that_fails_refuses(desk: Services, ocr: Ocr) -> None:
    ocr.failure = OcrFailed("tesseract took longer than 30 s")
    refusal = refused(desk)
    assert (refusal.field, refusal.message) == ("id_document", NOT_CHECKED)
    nothing_stored(desk)


# --- floods --------------------------------------------------------------------------------------------------------


def test_one_address_gets_its_limit_of_requests_an_hour_filed_or_refused(desk: Services, clock: FakeClock) -> None:
    for number in range(3):
        file(desk, account=f"user{number}")
    refused(desk, kvk_number="nope")
    refused(desk, documents=[])
    with pytest.raises(TooManyRequests) as flood:
        file(desk, account="user9")
    assert 0 < flood.value.retry_after_seconds <= 3600
    assert len(cases(desk)) == 3
    file(desk, account="user9", ip="198.51.100.8")  # another address is not held
    clock.advance(3601)
    file(desk, account="user9")


def test_without_an_address_there_is_no_source_limit(desk: Services) -> None:
    for number in range(6):
        refused(desk, ip=None, kvk_number=f"x{number}")


def test_an_account_gets_its_limit_of_cases_a_day(desk: Services, clock: FakeClock) -> None:
    for number, account in enumerate(("jdoe", "JDoe", "JDOE")):
        file(desk, account=account, ip=f"198.51.100.{number}")
    with pytest.raises(TooManyRequests) as flood:
        file(desk, account="jDoe", ip="198.51.100.50")
    assert 0 < flood.value.retry_after_seconds <= 86400
    file(desk, account="jdoe", realm="other", ip="198.51.100.51")  # the same name in another realm
    clock.advance(86401)
    file(desk, account="jdoe", ip="198.51.100.52")


def test_two_requests_at_once_cannot_both_pass_the_account_limit(
    desk: Services, directory: FakeDirectory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one request is between its first count and its transaction, others are filed: the count inside the
    transaction refuses it, and its sealed files go."""
    for number in range(2):
        file(desk, account="jdoe", ip=f"198.51.100.{number}")
    original = directory.find_user_by_username
    racing = {"done": False}

    def meanwhile(realm: str, username: str) -> DirectoryUser | None:
        if not racing["done"]:
            racing["done"] = True
            file(desk, account="jdoe", ip="198.51.100.60")  # the third case, filed in between
        return original(realm, username)

    monkeypatch.setattr(directory, "find_user_by_username", meanwhile)
    with pytest.raises(TooManyRequests):
        file(desk, account="jdoe", ip="198.51.100.61")
    assert len(cases(desk)) == 3 and len(files(desk)) == 9


# --- nothing stays when anything fails -----------------------------------------------------------------------------


def test_a_failing_store_leaves_no_file(desk: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the store is gone")

    monkeypatch.setattr(SqlDeskRepository, "add", broken)
    with pytest.raises(RuntimeError):
        file(desk)
    nothing_stored(desk)


def test_a_failing_audit_row_leaves_nothing(desk: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from mfa_recovery.audit.log import AuditedTransaction

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("cannot append")

    monkeypatch.setattr(AuditedTransaction, "record", broken)
    with pytest.raises(RuntimeError):
        file(desk)
    nothing_stored(desk)


def test_a_failing_vault_leaves_no_file(desk: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    original = VaultFiles.write_new
    written: list[str] = []

    def third_fails(self: VaultFiles, data: bytes) -> str:
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(original(self, data))
        return written[-1]

    monkeypatch.setattr(VaultFiles, "write_new", third_fails)
    with pytest.raises(OSError, match="No space"):
        file(desk)
    assert len(written) == 2
    nothing_stored(desk)


def test_a_case_number_taken_already_leaves_nothing_of_the_second(
    desk: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filing, "new_case_number", lambda: "7G2K-M9QX-3TBW")
    file(desk, account="first")
    with pytest.raises(Exception, match="UNIQUE"):
        file(desk, account="second")
    assert [case.account for case in cases(desk)] == ["first"] and len(files(desk)) == 3


# --- the same answer whoever asks ----------------------------------------------------------------------------------


def test_the_answer_tells_nothing_about_the_account(desk: Services, directory: FakeDirectory) -> None:
    found = file(desk, account="jdoe", ip="198.51.100.1")
    missing = file(desk, account="nobody", ip="198.51.100.2")
    directory.down = True
    unknown = file(desk, account="jdoe", realm="acme", ip="198.51.100.3")
    answers = [found, missing, unknown]
    assert all(type(answer) is Filed and answer.__dict__.keys() == {"case_number"} for answer in answers)
    assert len({answer.case_number for answer in answers}) == 3
    assert [case.account_lookup for case in cases(desk)] == [MATCHED, NO_MATCH, UNAVAILABLE]


def test_the_same_questions_are_asked_of_keycloak_whether_or_not_someone_is_found(
    desk: Services, directory: FakeDirectory
) -> None:
    for account in ("jdoe", "nobody"):
        directory.calls.clear()
        file(desk, account=account, ip=f"198.51.100.{len(account)}")
        assert directory.calls == ["find_user_by_username"]
    for account in ("jan@acme.example", "nobody@acme.example", "JDOE"):
        directory.calls.clear()
        file(desk, account=account, ip=f"198.51.100.{len(account)}")
        expected = ["find_user_by_username", "find_user_by_email"] if "@" in account else ["find_user_by_username"]
        assert directory.calls == expected


# --- a filed case --------------------------------------------------------------------------------------------------


def test_a_filed_case_as_stored(desk: Services, clock: FakeClock) -> None:
    answer = file(
        desk,
        organisation="  Acme B.V.  ",
        kvk_number="1234 5678",
        language="nl-NL",
        user_agent="Mozilla/5.0\x1b[31m" + "x" * 2000,
    )
    [case] = cases(desk)
    assert case.case_number == answer.case_number
    assert (case.organisation, case.realm, case.account, case.phone) == (
        "Acme B.V.", "acme", "jdoe", "+31 (0)20-123 4567",
    )  # fmt: skip
    assert (case.kvk_number, case.language, case.ip, case.status) == ("12345678", "nl", "198.51.100.7", "open")
    assert case.user_agent is not None and "\x1b" not in case.user_agent and len(case.user_agent) == 1000
    assert (case.account_lookup, case.matched_user_id, case.ocr_checked) == (MATCHED, USER_ID, True)
    assert case.created_at == clock.now


def test_the_documents_are_sealed_and_open_to_what_was_checked(desk: Services) -> None:
    file(desk)
    [case] = cases(desk)
    repository = SqlDeskRepository(desk.engine)
    documents = repository.documents(case.id)
    assert [(d.kind, d.media_type) for d in documents] == [
        (DocumentKind.KVK_EXTRACT, "application/pdf"),
        (DocumentKind.ID_DOCUMENT, "image/jpeg"),
        (DocumentKind.SELFIE, "image/jpeg"),
    ]
    assert sorted(path.name for path in files(desk)) == sorted(d.file_name for d in documents)
    assert desk.settings.desk_key is not None
    vault = DocumentVault(VaultFiles(desk.settings.desk_dir), desk.settings.desk_key)
    kvk, id_document, selfie = (vault.open(case.id, d.id, d.kind, d.file_name) for d in documents)
    assert kvk == uploads()[0].content and len(kvk) == documents[0].size
    for image in (id_document, selfie):
        with Image.open(io.BytesIO(image)) as opened:
            assert opened.format == "JPEG" and not opened.getexif()
    assert b"SpyPhone" not in selfie and b"Keizersgracht" not in selfie
    for path in files(desk):
        assert uploads()[0].content[:40] not in path.read_bytes()


def test_the_audit_row_says_what_is_needed_and_no_more(desk: Services) -> None:
    answer = file(desk)
    [event] = desk_events(desk)
    [case] = cases(desk)
    assert (event["action"], event["outcome"], event["actor"]) == ("desk.request_filed", "filed", "desk")
    assert (event["realm"], event["subject"], event["ip"]) == ("acme", USER_ID, "198.51.100.7")
    assert event["detail"] == {
        "case_id": case.id,
        "case_number": answer.case_number,
        "account": "jdoe",
        "account_lookup": MATCHED,
        "ocr_checked": True,
        "documents": {
            "kvk_extract": {"media_type": "application/pdf", "size": len(uploads()[0].content)},
            "id_document": {"media_type": "image/jpeg", "size": event["detail"]["documents"]["id_document"]["size"]},
            "selfie": {"media_type": "image/jpeg", "size": event["detail"]["documents"]["selfie"]["size"]},
        },
    }
    text = repr(event)
    for secret in ("123 4567", "12345678", "Acme B.V."):
        assert secret not in text
    assert desk.audit.verify().ok


def test_the_account_gets_the_mail_with_the_case_number(desk: Services) -> None:
    answer = file(desk, language="nl")
    with desk.engine.connect() as conn:
        [row] = conn.execute(select(notification_outbox)).mappings()
    assert (row["kind"], row["realm"], row["user_id"]) == (DESK_REQUEST_FILED, REALM, USER_ID)
    assert row["detail"] == {"case_number": answer.case_number, "locale": "nl"}
    assert row["ip"] == "198.51.100.7"


def test_found_by_email_address(desk: Services) -> None:
    file(desk, account="JAN@acme.example")
    [case] = cases(desk)
    assert (case.account_lookup, case.matched_user_id, case.account) == (MATCHED, USER_ID, "JAN@acme.example")


def test_no_account_no_mail_and_keycloak_down_no_mail(desk: Services, directory: FakeDirectory) -> None:
    file(desk, account="nobody", ip="198.51.100.1")
    directory.down = True
    file(desk, account="jdoe", ip="198.51.100.2")
    assert count(desk, notification_outbox) == 0
    lookups = [event["detail"]["account_lookup"] for event in reversed(desk_events(desk))]
    assert lookups == [NO_MATCH, UNAVAILABLE]
    assert [event["subject"] for event in desk_events(desk)] == [None, None]


def test_a_mail_that_cannot_be_queued_leaves_the_case_standing(desk: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(desk.outbox, "enqueue", broken)
    answer = file(desk)
    assert cases(desk)[0].case_number == answer.case_number
    [failure] = [event for event in desk.audit.recent() if event["action"] == "notification.failed"]
    assert (failure["outcome"], failure["subject"]) == ("not_queued", USER_ID)
    assert failure["detail"] == {"kind": DESK_REQUEST_FILED, "case_number": answer.case_number}


def test_without_ocr_the_case_says_it_was_not_checked(desk: Services, ocr: Ocr) -> None:
    ocr.installed = False
    file(desk)
    assert cases(desk)[0].ocr_checked is False
    assert desk_events(desk)[0]["detail"]["ocr_checked"] is False


def test_the_username_is_looked_up_before_the_address(desk: Services, directory: FakeDirectory) -> None:
    other = directory.add(DirectoryUser(id="other-id", username="jan@acme.example", email="x@acme.example"))
    file(desk, account="jan@acme.example")
    assert cases(desk)[0].matched_user_id == other.id  # the username wins over the employee's address


# --- wiring --------------------------------------------------------------------------------------------------------


def production(tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "MFA_RECOVERY_ENV": "production",
            "MFA_RECOVERY_DATA_DIR": str(tmp_path),
            "MFA_RECOVERY_CODE_PEPPER": "p" * 32,
            "MFA_RECOVERY_AUDIT_KEY": "a" * 32,
            "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET": "k" * 32,
            "MFA_RECOVERY_ANSWER_SIGNING_KEY": DEV_ENV["MFA_RECOVERY_ANSWER_SIGNING_KEY"],
            "MFA_RECOVERY_NOTIFICATIONS": "off",
            **extra,
        }
    )


def test_the_desk_is_off_in_production_without_a_key_and_on_with_one(tmp_path: Path, wiring: Wiring) -> None:
    off = build_services(production(tmp_path / "off"), **wiring)
    on = build_services(production(tmp_path / "on", MFA_RECOVERY_DESK_KEY="d" * 32), **wiring)
    try:
        assert off.desk_intake is None
        assert isinstance(on.desk_intake, DeskFiling)
    finally:
        off.engine.dispose()
        on.engine.dispose()


def test_the_settings_reach_the_intake(tmp_path: Path, wiring: Wiring, ocr: Ocr) -> None:
    settings = replace(production(tmp_path, MFA_RECOVERY_DESK_KEY="d" * 32), desk_max_pdf_bytes=1024)
    services = build_services(settings, **wiring, read_bsns=ocr)
    try:
        padded = pdf({**clean_objects(), 5: b"(" + b"x" * 2000 + b")"})
        refusal = refused(services, documents=uploads(kvk=padded))
        assert (refusal.field, refusal.values) == ("kvk_extract", {"megabytes": "0.000976562"})
    finally:
        services.engine.dispose()


needs_tesseract = pytest.mark.skipif(
    not tesseract_available(), reason="tesseract is not installed (apt-get install tesseract-ocr)"
)


@needs_tesseract
def test_with_tesseract_an_id_showing_its_bsn_is_refused_and_a_covered_one_filed(
    desk_settings: Settings, wiring: Wiring
) -> None:
    services = build_services(desk_settings, **wiring)  # the real OCR
    try:
        refusal = refused(services, documents=uploads(id_document=identity_document()))
        assert (refusal.field, refusal.message) == ("id_document", BSN_ON_ID_DOCUMENT)
        nothing_stored(services)
        file(services, documents=uploads(id_document=identity_document(covered=True)))
        assert cases(services)[0].ocr_checked is True
    finally:
        services.engine.dispose()
