"""The BSN check: the eleven-test, finding BSNs in what OCR read, running tesseract (a stand-in script for its
failures, the real one for an image showing a BSN, when it is installed)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mfa_recovery.desk.bsn import (
    BSN_ON_ID_DOCUMENT,
    BSN_ON_SELFIE,
    NOT_CHECKED,
    OcrFailed,
    check_no_bsn,
    find_bsns,
    is_bsn,
    legible_bsns,
    tesseract_available,
)
from mfa_recovery.desk.documents import check_document
from mfa_recovery.desk.intake import DocumentKind, RequestRefused, Upload
from tests.support.desk_files import VALID_BSN, identity_document, jpeg_with_gps

# --- the eleven-test -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["123456782", "111222333", "999999990", "100000009"])
def test_valid_numbers(number: str) -> None:
    assert is_bsn(number)


@pytest.mark.parametrize(
    "number",
    [
        "123456789",  # fails the test
        "000000000",  # passes the sum, but is no number
        "12345678",
        "1234567820",
        "12345678a",
        "１２３４５６７８２",  # full-width digits are digits to Python, not to a BSN  # noqa: RUF001
        "١٢٣٤٥٦٧٨٢",  # Arabic-Indic digits
        " 23456782",
        "",
    ],
)
def test_what_is_no_bsn(number: str) -> None:
    assert not is_bsn(number)


# --- finding them in text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "BSN 123456782",
        "Burgerservicenummer: 1234.56.782",
        "BSN\n\n123 456 782\n",
        "12.34.56.782",
        "x123456782y",
        "I<NLDSPECI20142123456782<<<<<<",  # the number line: the check digit runs into the BSN
        "persoonsnummer 0123456782",  # one of the nine-digit windows of a longer run
    ],
)
def test_a_bsn_is_found_however_it_is_printed(text: str) -> None:
    assert VALID_BSN in find_bsns(text)  # in a longer run, another window may pass the test too


@pytest.mark.parametrize(
    "text",
    [
        "",
        "BSN ■■■■■■■■■",
        "123456789",
        "1234 5678",
        "12-03-1965 SPECI2014",
        "1234..56.782",  # two separators in a row end a run
        "123,456,782",
        "Document: SPECI2014 geldig tot 24 03 2031",
    ],
)
def test_no_bsn_where_there_is_none(text: str) -> None:
    assert find_bsns(text) == []


def test_each_bsn_once_in_order() -> None:
    assert find_bsns("111222333 and 123456782 and 111 222 333") == ["111222333", "123456782"]


def test_a_flood_of_digits_is_read_in_linear_time() -> None:
    digits = "7" * 200_000
    assert find_bsns(digits) == []  # 777777777: 7·44 − 7 = 301, no multiple of 11
    assert len(find_bsns("123456782 " * 50_000)) == 1


# --- running tesseract ---------------------------------------------------------------------------------------------


def fake_tesseract(tmp_path: Path, script: str) -> str:
    path = tmp_path / "tesseract"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def image() -> bytes:
    return check_document(Upload(DocumentKind.ID_DOCUMENT, "id.png", identity_document(covered=True))).content


def test_without_tesseract_there_is_no_answer() -> None:
    assert legible_bsns(image(), command="/nonexistent/tesseract") is None
    assert not tesseract_available("/nonexistent/tesseract")


def test_what_tesseract_prints_is_searched(tmp_path: Path) -> None:
    command = fake_tesseract(tmp_path, "cat >/dev/null; echo 'BSN'; echo '1234.56.782'")
    assert legible_bsns(image(), command=command) == [VALID_BSN]
    assert legible_bsns(image(), command=fake_tesseract(tmp_path, "cat >/dev/null; echo 'SPECI2014'")) == []


def test_tesseract_gets_the_image_on_stdin_as_a_grey_png_and_one_thread(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    command = fake_tesseract(
        tmp_path, f'cat >"{seen}.png"; echo "$@" >"{seen}.args"; echo $OMP_THREAD_LIMIT >"{seen}.env"'
    )
    assert legible_bsns(image(), command=command) == []
    assert (tmp_path / "seen.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "seen.args").read_text().split() == ["stdin", "stdout", "--psm", "11"]
    assert (tmp_path / "seen.env").read_text().strip() == "1"


def test_a_failing_or_hanging_tesseract_is_a_failure(tmp_path: Path) -> None:
    with pytest.raises(OcrFailed, match="exited with 3"):
        legible_bsns(image(), command=fake_tesseract(tmp_path, "cat >/dev/null; echo broken >&2; exit 3"))
    with pytest.raises(OcrFailed, match="longer than 0.5 s"):
        legible_bsns(image(), command=fake_tesseract(tmp_path, "exec sleep 5"), timeout=0.5)


# --- the check as the desk makes it --------------------------------------------------------------------------------


def document(kind: DocumentKind = DocumentKind.ID_DOCUMENT) -> Upload:
    return Upload(kind, "x.png", identity_document(covered=True))


def test_a_legible_bsn_refuses_the_document_with_the_field_named() -> None:
    checked = check_document(document())
    with pytest.raises(RequestRefused) as refused:
        check_no_bsn(checked, lambda _image: [VALID_BSN])
    assert (refused.value.field, refused.value.message) == ("id_document", BSN_ON_ID_DOCUMENT)
    assert VALID_BSN not in str(refused.value)
    selfie = check_document(Upload(DocumentKind.SELFIE, "s.jpg", jpeg_with_gps()))
    with pytest.raises(RequestRefused) as refused:
        check_no_bsn(selfie, lambda _image: [VALID_BSN])
    assert (refused.value.field, refused.value.message) == ("selfie", BSN_ON_SELFIE)


def test_no_ocr_means_unchecked_and_a_failure_refuses() -> None:
    checked = check_document(document())
    assert check_no_bsn(checked, lambda _image: None) is False
    assert check_no_bsn(checked, lambda _image: []) is True

    def failing(_image: bytes) -> list[str] | None:
        raise OcrFailed("tesseract took longer than 30 s")

    with pytest.raises(RequestRefused) as refused:
        check_no_bsn(checked, failing)
    assert (refused.value.field, refused.value.message) == ("id_document", NOT_CHECKED)


needs_tesseract = pytest.mark.skipif(
    not tesseract_available(), reason="tesseract is not installed (apt-get install tesseract-ocr)"
)


@needs_tesseract
def test_tesseract_reads_the_bsn_on_an_identity_document_and_nothing_once_it_is_covered() -> None:
    shown = check_document(Upload(DocumentKind.ID_DOCUMENT, "id.png", identity_document()))
    assert legible_bsns(shown.content) == [VALID_BSN]
    with pytest.raises(RequestRefused) as refused:
        check_no_bsn(shown, legible_bsns)
    assert refused.value.message == BSN_ON_ID_DOCUMENT

    covered = check_document(Upload(DocumentKind.ID_DOCUMENT, "id.png", identity_document(covered=True)))
    assert legible_bsns(covered.content) == []
    assert check_no_bsn(covered, legible_bsns) is True


@needs_tesseract
def test_tesseract_reads_a_bsn_printed_in_one_run() -> None:
    shown = check_document(Upload(DocumentKind.ID_DOCUMENT, "id.png", identity_document(number="123 456 782")))
    assert legible_bsns(shown.content) == [VALID_BSN]
