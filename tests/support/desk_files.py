"""Files for the recovery desk's tests, made byte by byte: PDFs (plain cross-reference tables, or objects packed in
a compressed object stream), images with metadata, and an identity document showing a BSN."""

from __future__ import annotations

import io
import secrets
import struct
import zlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mfa_recovery.desk.case_numbers import new_case_number
from mfa_recovery.desk.intake import DocumentKind, RecoveryRequest, Upload
from mfa_recovery.desk.repository import MATCHED, NO_MATCH, Case, NewCase, NewDocument, SqlDeskRepository
from mfa_recovery.desk.vault import DocumentVault, VaultFiles
from mfa_recovery.services import Services

# --- PDFs ----------------------------------------------------------------------------------------------------------

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>"
CONTENT = b"0 0 m 100 100 l S"


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def clean_objects(**changes: bytes) -> dict[int, bytes]:
    """A one-page document: 1 catalog, 2 pages, 3 page, 4 its content; ``catalog=`` / ``page=`` replace those."""
    return {1: changes.get("catalog", CATALOG), 2: PAGES, 3: changes.get("page", PAGE), 4: stream(CONTENT)}


def pdf(objects: Mapping[int, bytes], *, root: int = 1, trailer: bytes = b"", header: bytes = b"%PDF-1.7\n") -> bytes:
    """A PDF with a classic cross-reference table over ``objects`` (number → body)."""
    out = bytearray(header + b"%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (size, root, trailer, xref)
    return bytes(out)


def clean_pdf() -> bytes:
    return pdf(clean_objects())


def pdf_with_object_stream(plain: Mapping[int, bytes], packed: Mapping[int, bytes], *, root: int = 1) -> bytes:
    """A PDF 1.5 whose ``packed`` objects live in one Flate-compressed object stream, found through a
    cross-reference stream: no name of theirs shows in the file's bytes."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in sorted(plain.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    bodies = b""
    index = b""
    for number, body in sorted(packed.items()):
        index += b"%d %d " % (number, len(bodies))
        bodies += body + b"\n"
    object_stream = max([*plain, *packed]) + 1
    compressed = zlib.compress(index + bodies)
    offsets[object_stream] = len(out)
    out += b"%d 0 obj\n" % object_stream
    out += stream(compressed, b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode " % (len(packed), len(index)))
    out += b"\nendobj\n"
    xref_stream = object_stream + 1
    offsets[xref_stream] = len(out)
    rows = b""
    positions = {number: i for i, number in enumerate(sorted(packed))}
    for number in range(xref_stream + 1):
        if number in offsets:
            rows += struct.pack(">BIH", 1, offsets[number], 0)
        elif number in positions:
            rows += struct.pack(">BIH", 2, object_stream, positions[number])
        else:
            rows += struct.pack(">BIH", 0, 0, 65535)
    out += b"%d 0 obj\n" % xref_stream
    out += stream(rows, b"/Type /XRef /Size %d /W [1 4 2] /Root %d 0 R " % (xref_stream + 1, root))
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_stream]
    return bytes(out)


# --- images --------------------------------------------------------------------------------------------------------

GPS_IFD = 0x8825
ORIENTATION = 0x0112
CAMERA_MODEL = 0x0110


def image_bytes(image: Image.Image, format: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **params)
    return out.getvalue()


def photo(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (200, 120, 40)) -> Image.Image:
    return Image.new("RGB", size, colour)


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    """A JPEG whose EXIF holds a GPS position (Amsterdam), a camera model and the orientation, and a comment."""
    exif = Image.Exif()
    exif[CAMERA_MODEL] = "SpyPhone 9"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 31.0), 3: "E", 4: (4.0, 53.0, 52.0)})
    return image_bytes(photo(size), "JPEG", exif=exif.tobytes(), comment=b"home: Keizersgracht 1")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels, with a few bytes of data: a decompression bomb's
    shape (checked before any pixel is decoded)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


# --- an identity document ------------------------------------------------------------------------------------------

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
VALID_BSN = "123456782"  # passes the eleven-test (the example number the Dutch government uses)


def identity_document(*, number: str = "1234.56.782", covered: bool = False) -> bytes:
    """A PNG like a Dutch ID card's data page: a name, a document number and the BSN in large print; ``covered``
    blacks the BSN out as the browser's masking does."""
    font = ImageFont.truetype(str(FONT), 56) if FONT.exists() else ImageFont.load_default(56)
    image = Image.new("RGB", (1400, 520), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 50), "IDENTITEITSKAART", fill="black", font=font)
    draw.text((60, 160), "Naam: Jansen", fill="black", font=font)
    draw.text((60, 270), "Document: SPECI2014", fill="black", font=font)
    draw.text((60, 380), "BSN", fill="black", font=font)
    box = draw.textbbox((300, 380), number, font=font)
    draw.text((300, 380), number, fill="black", font=font)
    if covered:
        draw.rectangle((box[0] - 10, box[1] - 10, box[2] + 10, box[3] + 10), fill="black")
    return image_bytes(image, "PNG")


# --- a whole request -----------------------------------------------------------------------------------------------


def uploads(kvk: bytes | None = None, id_document: bytes | None = None, selfie: bytes | None = None) -> list[Upload]:
    """One good document of each kind, or the ones given."""
    return [
        Upload(DocumentKind.KVK_EXTRACT, "uittreksel.pdf", clean_pdf() if kvk is None else kvk),
        Upload(
            DocumentKind.ID_DOCUMENT, "id.png", identity_document(covered=True) if id_document is None else id_document
        ),
        Upload(DocumentKind.SELFIE, "selfie.jpg", jpeg_with_gps() if selfie is None else selfie),
    ]


def recovery_request(**changes: object) -> RecoveryRequest:
    values: dict[str, object] = {
        "organisation": "Acme B.V.",
        "realm": "acme",
        "account": "jdoe",
        "phone": "+31 (0)20-123 4567",
        "kvk_number": "12345678",
        "documents": uploads(),
        "ip": "198.51.100.7",
        "user_agent": "Mozilla/5.0 (Desk test)",
        "language": "en",
    }
    values.update(changes)
    return RecoveryRequest(**values)  # type: ignore[arg-type]


def file_case(
    services: Services,
    *,
    realm: str = "acme",
    account: str = "jdoe",
    matched_user_id: str | None = None,
    created_at: datetime | None = None,
) -> Case:
    """A case as the intake files it (its three documents sealed in the vault), without the intake's checks and
    OCR: for the operators' side."""
    assert services.settings.desk_key is not None
    vault = DocumentVault(VaultFiles(services.settings.desk_dir), services.settings.desk_key)
    case_id = secrets.token_hex(16)
    contents = {
        DocumentKind.KVK_EXTRACT: ("application/pdf", clean_pdf()),
        DocumentKind.ID_DOCUMENT: ("image/jpeg", b"\xff\xd8 id document \xff\xd9"),
        DocumentKind.SELFIE: ("image/jpeg", b"\xff\xd8 selfie \xff\xd9"),
    }
    documents = []
    for kind, (media_type, content) in contents.items():
        document_id = secrets.token_hex(16)
        name = vault.seal(case_id, document_id, kind, content)
        documents.append(NewDocument(document_id, kind, media_type, len(content), name))
    case = NewCase(
        id=case_id,
        case_number=new_case_number(),
        realm=realm,
        account=account,
        organisation="Acme B.V.",
        phone="+31 20 123 4567",
        kvk_number="12345678",
        language="en",
        ip="198.51.100.7",
        user_agent="Mozilla/5.0 (Desk test)",
        created_at=created_at or services.clock(),
        ocr_checked=True,
        account_lookup=MATCHED if matched_user_id else NO_MATCH,
        matched_user_id=matched_user_id,
    )
    repository = SqlDeskRepository(services.engine)
    repository.add(case, documents)
    stored = repository.get(case_id)
    assert stored is not None
    return stored
