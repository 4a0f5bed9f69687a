"""The desk's documents, checked by content: hostile PDFs and images first, then what passes and how images come
out (re-encoded, without their metadata)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from mfa_recovery.desk import documents
from mfa_recovery.desk.documents import (
    ACTIVE_PDF,
    EMPTY,
    ENCRYPTED_PDF,
    JPEG,
    MISSING,
    MORE_THAN_ONE,
    NOT_A_PDF,
    NOT_AN_IMAGE,
    PDF,
    TOO_LARGE,
    TOO_MANY_PIXELS,
    UNREADABLE_IMAGE,
    UNREADABLE_PDF,
    DocumentLimits,
    check_document,
    check_documents,
)
from mfa_recovery.desk.intake import DocumentKind, RequestRefused, Upload
from tests.support.desk_files import (
    CAMERA_MODEL,
    GPS_IFD,
    PAGE,
    clean_objects,
    clean_pdf,
    image_bytes,
    jpeg_with_gps,
    pdf,
    pdf_with_object_stream,
    photo,
    png_chunk,
    png_claiming,
    stream,
    uploads,
)

KVK = DocumentKind.KVK_EXTRACT
ID = DocumentKind.ID_DOCUMENT
SELFIE = DocumentKind.SELFIE


def refusal(kind: DocumentKind, content: bytes, limits: DocumentLimits | None = None) -> RequestRefused:
    with pytest.raises(RequestRefused) as refused:
        check_document(Upload(kind, "whatever", content), limits or DocumentLimits())
    assert refused.value.field == kind.value
    return refused.value


# --- hostile PDFs --------------------------------------------------------------------------------------------------

JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"
LAUNCH = b"<< /S /Launch /F (C:\\\\Windows\\\\System32\\\\cmd.exe) /NewWindow true >>"
FILESPEC = b"<< /Type /Filespec /F (invoice.exe) /EF << /F 7 0 R >> >>"
EMBEDDED = stream(b"MZ\x90\x00", b"/Type /EmbeddedFile ")
PAGE_WITH = PAGE[:-2] + b"%s >>"

ACTIVE = {
    "OpenAction JavaScript": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"),
                              5: JS_ACTION},
    "JavaScript names tree": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript "
                                                      b"<< /Names [(boot) 5 0 R] >> >> >>"), 5: JS_ACTION},
    "page additional action": {**clean_objects(page=PAGE_WITH % b"/AA << /O 5 0 R >>"), 5: JS_ACTION},
    "link annotation's action": {**clean_objects(page=PAGE_WITH % b"/Annots [6 0 R]"), 5: JS_ACTION,
                                 6: b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] /A 5 0 R >>"},
    "form field's additional action": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /AcroForm "
                                                               b"<< /Fields [6 0 R] >> >>"),
                                       6: b"<< /FT /Tx /T (name) /AA << /K << /S /JavaScript /JS (x) >> >> >>"},
    "Launch action": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"), 5: LAUNCH},
    "embedded files": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles "
                                                b"<< /Names [(invoice.exe) 6 0 R] >> >> >>"),
                       6: FILESPEC, 7: EMBEDDED},
    "file attachment annotation": {**clean_objects(page=PAGE_WITH % b"/Annots [6 0 R]"),
                                   6: b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 7 0 R >>",
                                   7: b"<< /Type /Filespec /F (a.txt) >>"},
    "XFA form": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 5 0 R >> >>"),
                 5: stream(b"<xdp:xdp><script>app.alert(1)</script></xdp:xdp>")},
    "escaped names": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"),
                      5: b"<< /S /J#61va#53cript /J#53 (app.alert\\(1\\)) >>"},
    "JS key alone": {**clean_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"),
                     5: b"<< /S /Named /JS (app.alert\\(1\\)) >>"},
    "object nothing refers to": {**clean_objects(), 5: JS_ACTION},
}  # fmt: skip


@pytest.mark.parametrize("name", ACTIVE)
def test_pdfs_with_active_content_are_refused(name: str) -> None:
    assert refusal(KVK, pdf(ACTIVE[name])).message == ACTIVE_PDF


@pytest.mark.parametrize("name", ACTIVE)
def test_the_walk_alone_finds_active_content(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the search of the raw bytes, the walk over pypdf's objects still finds every one."""
    monkeypatch.setattr(documents, "raw_active_names", lambda _content: set())
    assert refusal(KVK, pdf(ACTIVE[name])).message == ACTIVE_PDF


def test_a_script_packed_in_a_compressed_object_stream_is_found() -> None:
    plain = {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", 2: clean_objects()[2], 3: PAGE,
             4: stream(b"0 0 m 9 9 l S")}  # fmt: skip
    content = pdf_with_object_stream(plain, {5: JS_ACTION})
    assert b"JavaScript" not in content and b"/JS" not in content
    assert refusal(KVK, content).message == ACTIVE_PDF
    # and the same file with a harmless object there passes
    check_document(Upload(KVK, "k.pdf", pdf_with_object_stream(plain, {5: b"<< /S /Named /N /NextPage >>"})))


def test_a_script_after_the_end_of_the_file_is_found() -> None:
    """An object outside every cross-reference table: a viewer that rebuilds the table may still run it."""
    content = clean_pdf() + b"9 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n"
    assert refusal(KVK, content).message == ACTIVE_PDF


def test_encrypted_pdfs_are_refused() -> None:
    for user_password in ("secret", ""):  # an empty user password opens without asking, and is still encrypted
        writer = PdfWriter()
        writer.add_blank_page(200, 200)
        writer.encrypt(user_password, "owner-password")
        out = io.BytesIO()
        writer.write(out)
        assert refusal(KVK, out.getvalue()).message == ENCRYPTED_PDF


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\nnot really",
        b"%PDF-",
        pdf(clean_objects())[:200],  # cut short
        pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}),  # no page
        pdf(clean_objects(page=b"[" * 20000 + b"]" * 20000)),  # nested beyond any stack
    ],
    ids=["garbage", "header only", "truncated", "no pages", "deep nesting"],
)
def test_pdfs_that_cannot_be_read_are_refused(content: bytes) -> None:
    refused = refusal(KVK, content)
    assert refused.message in (UNREADABLE_PDF, NOT_A_PDF) if content == b"%PDF-" else refused.message == UNREADABLE_PDF


@pytest.mark.parametrize(
    "content",
    [b"", b"hello", b"  %PDF-1.7\n", b"\xef\xbb\xbf%PDF-1.7", jpeg_with_gps(), b"PK\x03\x04 a zip"],
    ids=["empty", "text", "leading spaces", "byte order mark", "an image", "a zip"],
)
def test_only_a_pdf_from_its_first_byte_is_a_kvk_extract(content: bytes) -> None:
    assert refusal(KVK, content).message == (EMPTY if not content else NOT_A_PDF)


def test_the_walk_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    many = b"[" + b" ".join(b"%d 0 R" % n for n in range(5, 405)) + b"]"
    objects = {**clean_objects(page=PAGE_WITH % (b"/Stuff " + many)), **{n: b"<< /N %d >>" % n for n in range(5, 405)}}
    check_document(Upload(KVK, "k.pdf", pdf(objects)))
    monkeypatch.setattr(documents, "MAX_PDF_NODES", 300)
    assert refusal(KVK, pdf(objects)).message == UNREADABLE_PDF


def test_a_reference_cycle_ends() -> None:
    objects = {**clean_objects(page=PAGE_WITH % b"/Loop 5 0 R"), 5: b"<< /Next 6 0 R >>", 6: b"<< /Next 5 0 R >>"}
    check_document(Upload(KVK, "k.pdf", pdf(objects)))


def test_a_pdf_over_the_size_limit_is_refused_before_it_is_read() -> None:
    content = clean_pdf()
    refused = refusal(KVK, content, DocumentLimits(max_pdf_bytes=len(content) - 1))
    assert (refused.message, refused.values) == (TOO_LARGE, {"megabytes": f"{(len(content) - 1) / 2**20:g}"})
    assert refusal(KVK, b"x" * (10 * 2**20 + 1)).values == {"megabytes": "10"}
    check_document(Upload(KVK, "k.pdf", content), DocumentLimits(max_pdf_bytes=len(content)))


# --- hostile images ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        image_bytes(photo(), "GIF"),
        image_bytes(photo(), "BMP"),
        image_bytes(photo(), "TIFF"),
        image_bytes(photo(), "ICO"),
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        clean_pdf(),
        b"GIF89a but not really",
        b"\xff\xd8\xff",  # a JPEG's first bytes, nothing after
    ],
    ids=["gif", "bmp", "tiff", "ico", "svg", "pdf", "fake gif", "jpeg magic only"],
)
@pytest.mark.parametrize("kind", [ID, SELFIE])
def test_anything_but_jpeg_png_or_webp_is_refused(kind: DocumentKind, content: bytes) -> None:
    assert refusal(kind, content).message in (NOT_AN_IMAGE, UNREADABLE_IMAGE)


@pytest.mark.parametrize("kind", [ID, SELFIE])
def test_truncated_and_damaged_images_are_refused(kind: DocumentKind) -> None:
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    whole = image_bytes(noisy, "JPEG")
    assert refusal(kind, whole[: len(whole) // 2]).message == UNREADABLE_IMAGE
    png = image_bytes(noisy, "PNG")
    broken_crc = png[:-20] + bytes([png[-20] ^ 0xFF]) + png[-19:]
    assert refusal(kind, broken_crc).message == UNREADABLE_IMAGE


@pytest.mark.parametrize(("width", "height"), [(25_001, 1000), (100_000, 100_000), (2**31 - 1, 2**31 - 1)])
def test_decompression_bombs_are_refused_from_their_header(width: int, height: int) -> None:
    refused = refusal(SELFIE, png_claiming(width, height))
    assert (refused.message, refused.values) == (TOO_MANY_PIXELS, {"megapixels": "25"})


def test_the_pixel_limit_is_a_setting() -> None:
    content = image_bytes(photo((100, 100)), "PNG")
    assert refusal(ID, content, DocumentLimits(max_image_pixels=9_999)).values == {"megapixels": "0.009999"}
    check_document(Upload(ID, "id.png", content), DocumentLimits(max_image_pixels=10_000))


def test_an_image_over_the_size_limit_is_refused() -> None:
    content = jpeg_with_gps()
    refused = refusal(SELFIE, content, DocumentLimits(max_image_bytes=len(content) - 1))
    assert refused.message == TOO_LARGE


# --- the set of documents ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_each_kind_is_required(kind: DocumentKind) -> None:
    with pytest.raises(RequestRefused) as refused:
        check_documents([upload for upload in uploads() if upload.kind is not kind])
    assert (refused.value.field, refused.value.message) == (kind.value, MISSING)


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_two_of_a_kind_are_refused(kind: DocumentKind) -> None:
    extra = next(upload for upload in uploads() if upload.kind is kind)
    with pytest.raises(RequestRefused) as refused:
        check_documents([*uploads(), extra])
    assert (refused.value.field, refused.value.message) == (kind.value, MORE_THAN_ONE)


def test_nothing_at_all_is_refused() -> None:
    with pytest.raises(RequestRefused) as refused:
        check_documents([])
    assert refused.value.message == MISSING


# --- what passes ---------------------------------------------------------------------------------------------------


def test_a_clean_pdf_is_kept_as_sent_whatever_its_name() -> None:
    content = clean_pdf()
    checked = check_documents(uploads(kvk=content))
    assert (checked[KVK].media_type, checked[KVK].content) == (PDF, content)
    assert check_document(Upload(KVK, "kvk.jpg", content)).content == content  # the name does not count


def test_a_pdf_with_harmless_actions_and_links_passes() -> None:
    objects = {
        **clean_objects(page=PAGE_WITH % b"/Annots [5 0 R]"),
        5: b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] /A << /S /URI /URI (https://www.kvk.nl/) >> >>",
    }
    check_document(Upload(KVK, "k.pdf", pdf(objects)))


def test_gps_and_every_other_metadata_is_gone_from_a_jpeg() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the test's photo does carry a position
        assert before.getexif()[CAMERA_MODEL] == "SpyPhone 9"
    checked = check_document(Upload(SELFIE, "selfie.jpg", original))
    assert checked.media_type == JPEG
    with Image.open(io.BytesIO(checked.content)) as after:
        assert after.format == "JPEG"
        assert not after.getexif()
        assert "exif" not in after.info and "comment" not in after.info and "icc_profile" not in after.info
        assert after.size == (64, 48)
    for trace in (b"Exif", b"SpyPhone", b"Keizersgracht", b"GPS"):
        assert trace not in checked.content


def test_an_image_is_turned_upright_before_its_exif_goes() -> None:
    checked = check_document(Upload(SELFIE, "s.jpg", jpeg_with_gps((64, 48), orientation=6)))
    with Image.open(io.BytesIO(checked.content)) as after:
        assert after.size == (48, 64)


def test_png_text_and_transparency() -> None:
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    plain = image_bytes(image, "PNG")
    # a text chunk with a position and an XMP packet, before the image data
    text = png_chunk(b"tEXt", b"Comment\x00GPS 52.37,4.89")
    text += png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x/>")
    with_text = plain[:33] + text + plain[33:]
    checked = check_document(Upload(ID, "id.png", with_text))
    assert b"52.37" not in checked.content and b"xmp" not in checked.content
    with Image.open(io.BytesIO(checked.content)) as after:
        assert after.mode == "RGB"
        assert after.getpixel((5, 5)) == (255, 255, 255)  # transparent laid on white


@pytest.mark.parametrize("mode", ["1", "L", "P", "LA", "RGBA", "I;16", "CMYK"])
def test_every_pixel_mode_comes_out_as_rgb_jpeg(mode: str) -> None:
    format = "JPEG" if mode == "CMYK" else "PNG"
    checked = check_document(Upload(ID, "x", image_bytes(Image.new(mode, (8, 8)), format)))
    with Image.open(io.BytesIO(checked.content)) as after:
        assert (after.format, after.mode) == ("JPEG", "RGB")


def test_webp_passes_and_only_the_first_frame_is_kept() -> None:
    frames = [photo((32, 32), (255, 0, 0)), photo((32, 32), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], lossless=True)
    checked = check_document(Upload(SELFIE, "selfie.webp", out.getvalue()))
    with Image.open(io.BytesIO(checked.content)) as after:
        assert getattr(after, "n_frames", 1) == 1
        red, green, blue = after.getpixel((16, 16))  # type: ignore[misc]
        assert red > 200 and blue < 60


def test_the_declared_name_does_not_count_for_images() -> None:
    check_document(Upload(SELFIE, "selfie.pdf", jpeg_with_gps()))
    assert refusal(SELFIE, clean_pdf()).message == NOT_AN_IMAGE
