"""The documents of a recovery request, checked by their content: never by the file name or the type the browser
declared.

- **The KvK extract** must be a PDF (``%PDF-`` at the start, and readable by pypdf), not encrypted, and free of active
  content: no JavaScript, no embedded or attached files, no actions that start programs, no XFA forms (which carry
  scripts of their own), no rich media. Every object pypdf finds is walked (the trailer, every object of the
  cross-reference tables and object streams, and whatever they refer to), and the raw bytes are searched too, for
  objects a viewer might find where pypdf did not (a damaged cross-reference table). The walk is bounded: a file
  that needs more work than :data:`MAX_PDF_NODES` is refused, like one that cannot be read. The PDF is kept as sent.
- **The identity document and the selfie** must be JPEG, PNG or WebP images (Pillow opens them with only those
  decoders, checks them and decodes every pixel), of at most :attr:`DocumentLimits.max_image_pixels` pixels
  (checked from the header, before any pixel is decoded). They are **re-encoded** as JPEG (quality
  :data:`JPEG_QUALITY`, RGB): only the first frame's pixels are kept, turned upright by their EXIF orientation, so
  EXIF (GPS position, camera, time), XMP, comments and colour profiles are gone. JPEG rather than PNG because these
  are mostly phone photos, which PNG would make several times larger.

Every refusal is a :class:`~.intake.RequestRefused` naming the document's field, with English text that the page
translates (the texts are in the sidecar's catalogs).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from ..translations import N_
from .intake import DocumentKind, RequestRefused, Upload

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
PDF = "application/pdf"
JPEG = "image/jpeg"
JPEG_QUALITY = 90
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")  # the only decoders Pillow may try
IMAGE_KINDS = (DocumentKind.ID_DOCUMENT, DocumentKind.SELFIE)

# Names that make a PDF active: scripts (``/JS``, ``/JavaScript``: an action's script, the document's names tree),
# embedded files (``/EmbeddedFiles`` names tree, ``/EmbeddedFile`` streams, a file specification's ``/EF``,
# ``/FileAttachment`` annotations, ``/GoToE`` actions into them), ``/Launch`` actions, XFA forms (``/XFA``, whose
# XML carries scripts of its own) and ``/RichMedia`` (Flash and video with their own players). Refused wherever they
# appear, as a key or as a value; pypdf decodes ``#xx`` escapes in names, so ``/J#61vaScript`` is ``/JavaScript``.
ACTIVE_NAMES = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/FileAttachment",
        "/GoToE",
        "/Launch",
        "/XFA",
        "/RichMedia",
    }
)
# The same, searched in the raw bytes: the longer names only (``/JS`` or ``/EF`` would turn up by chance in
# compressed data); an action with ``/JS`` names its type ``/JavaScript``, a file specification with ``/EF`` holds an
# ``/EmbeddedFile`` stream.
RAW_ACTIVE_NAMES = frozenset(name for name in ACTIVE_NAMES if len(name) > 4)
_RAW_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

# The bound on the walk: objects (dictionaries, arrays, names, numbers, ...) looked at in all. A KvK extract of a
# few pages has some thousands.
MAX_PDF_NODES = 500_000

# What the refusals say (message ids of the sidecar's catalogs; the page translates them).
MISSING = N_("This document is missing.")
MORE_THAN_ONE = N_("Send exactly one file for this document.")
EMPTY = N_("The file is empty.")
TOO_LARGE = N_("The file is larger than %(megabytes)s MB.")
NOT_A_PDF = N_("The KvK extract must be a PDF file.")
UNREADABLE_PDF = N_("The KvK extract cannot be read as a PDF file.")
ENCRYPTED_PDF = N_("The KvK extract is protected with a password or encrypted. Send it without protection.")
ACTIVE_PDF = N_(
    "The KvK extract contains scripts, attached files or actions that start programs. Send the extract as the KvK "
    "issued it."
)
NOT_AN_IMAGE = N_("The file must be a photo or scan in JPEG, PNG or WebP format.")
TOO_MANY_PIXELS = N_("The image is too large: at most %(megapixels)s megapixels.")
UNREADABLE_IMAGE = N_("The image cannot be read; it may be damaged.")


@dataclass(frozen=True)
class DocumentLimits:
    """How large a document may be: bytes as sent (settings ``MFA_RECOVERY_DESK_MAX_PDF_BYTES`` and
    ``…_MAX_IMAGE_BYTES``), and pixels of an image (25 megapixels: a phone's photo has 12; decoding one with
    transparency takes about 4 bytes a pixel, and a few copies are made on the way to the JPEG)."""

    max_pdf_bytes: int = 10 * MIB
    max_image_bytes: int = 10 * MIB
    max_image_pixels: int = 25_000_000


@dataclass(frozen=True)
class CheckedDocument:
    """A document that passed: the bytes to keep (the PDF as sent, an image re-encoded) and their media type."""

    kind: DocumentKind
    media_type: str
    content: bytes


def check_documents(
    uploads: Sequence[Upload], limits: DocumentLimits = DocumentLimits()
) -> dict[DocumentKind, CheckedDocument]:
    """Exactly one upload of each kind, each checked (:func:`check_document`); the first problem is raised."""
    by_kind: dict[DocumentKind, list[Upload]] = {kind: [] for kind in DocumentKind}
    for upload in uploads:
        by_kind[upload.kind].append(upload)
    for kind, found in by_kind.items():
        if not found:
            raise RequestRefused(kind.value, MISSING)
        if len(found) > 1:
            raise RequestRefused(kind.value, MORE_THAN_ONE)
    return {kind: check_document(found[0], limits) for kind, found in by_kind.items()}


def check_document(upload: Upload, limits: DocumentLimits = DocumentLimits()) -> CheckedDocument:
    """The upload checked by its content, as its kind requires; :class:`RequestRefused` when it does not pass."""
    if upload.kind is DocumentKind.KVK_EXTRACT:
        _check_size(upload, limits.max_pdf_bytes)
        check_pdf(upload.content, upload.kind.value)
        return CheckedDocument(upload.kind, PDF, upload.content)
    _check_size(upload, limits.max_image_bytes)
    return CheckedDocument(upload.kind, JPEG, reencoded_image(upload.content, upload.kind.value, limits))


def _check_size(upload: Upload, limit: int) -> None:
    if not upload.content:
        raise RequestRefused(upload.kind.value, EMPTY)
    if len(upload.content) > limit:
        raise RequestRefused(upload.kind.value, TOO_LARGE, megabytes=_whole(limit / MIB))


def _whole(value: float) -> str:
    return f"{value:g}"


# --- the KvK extract -----------------------------------------------------------------------------------------------


class _ActiveContent(Exception):
    """The PDF holds one of :data:`ACTIVE_NAMES`."""


class _TooComplex(Exception):
    """The walk would take more than :data:`MAX_PDF_NODES` steps."""


def check_pdf(content: bytes, field: str = DocumentKind.KVK_EXTRACT.value) -> None:
    """Refuse (``field``) anything but a readable, unencrypted PDF without active content."""
    if not content.startswith(b"%PDF-"):
        raise RequestRefused(field, NOT_A_PDF)
    found = raw_active_names(content)
    if found:
        logger.info("desk: PDF refused, active content in its bytes: %s", ", ".join(sorted(found)))
        raise RequestRefused(field, ACTIVE_PDF)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns about every oddity it repairs
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                raise RequestRefused(field, ENCRYPTED_PDF)
            _walk(reader)
            if len(reader.pages) < 1:
                raise RequestRefused(field, UNREADABLE_PDF)
    except RequestRefused:
        raise
    except _ActiveContent as exc:
        logger.info("desk: PDF refused, active content: %s", exc)
        raise RequestRefused(field, ACTIVE_PDF) from None
    except _TooComplex:
        logger.info("desk: PDF refused, more than %s objects to check", MAX_PDF_NODES)
        raise RequestRefused(field, UNREADABLE_PDF) from None
    except Exception as exc:  # pypdf raises many kinds (and RecursionError, MemoryError's cousins) on bad input
        logger.info("desk: PDF refused, unreadable: %s: %s", type(exc).__name__, exc)
        raise RequestRefused(field, UNREADABLE_PDF) from None


def raw_active_names(content: bytes) -> set[str]:
    """The names of :data:`RAW_ACTIVE_NAMES` in the raw bytes (``#xx`` escapes decoded): what a viewer that rebuilds
    a damaged file could still find, even where pypdf does not."""
    found: set[str] = set()
    for needle in RAW_ACTIVE_NAMES:
        if needle.encode("ascii") in content:
            found.add(needle)
    if b"#" in content:
        for match in _RAW_NAME.finditer(content):
            token = match.group()
            if b"#" in token:
                name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), token).decode("latin-1")
                if name in RAW_ACTIVE_NAMES:
                    found.add(name)
    return found


def _roots(reader: PdfReader) -> Iterator[PdfObject]:
    """Where the walk starts: the trailer, and every object the cross-reference tables and object streams name
    (also those nothing refers to)."""
    yield reader.trailer
    for generation, table in sorted(reader.xref.items()):
        for idnum in sorted(table):
            yield IndirectObject(idnum, generation, reader)
    for idnum in sorted(reader.xref_objStm):
        yield IndirectObject(idnum, 0, reader)


def _walk(reader: PdfReader) -> None:
    """Look at every object once (iteratively: nesting cannot exhaust the stack); raise :class:`_ActiveContent` at
    the first active name, :class:`_TooComplex` past :data:`MAX_PDF_NODES`."""
    seen: set[tuple[int, int]] = set()
    budget = MAX_PDF_NODES
    stack: list[PdfObject] = []
    for root in _roots(reader):
        stack.append(root)
        while stack:
            budget -= 1
            if budget < 0:
                raise _TooComplex
            node = stack.pop()
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation)
                if key in seen:
                    continue
                seen.add(key)
                resolved = node.get_object()
                if resolved is not None:
                    stack.append(resolved)
            elif isinstance(node, NameObject):
                if str(node) in ACTIVE_NAMES:
                    raise _ActiveContent(str(node))
            elif isinstance(node, DictionaryObject):  # stream dictionaries too; their data is not decoded
                for name, value in node.items():
                    if str(name) in ACTIVE_NAMES:
                        raise _ActiveContent(str(name))
                    stack.append(value)
                    budget -= 1
            elif isinstance(node, ArrayObject):
                stack.extend(node)
                budget -= len(node)


# --- the images ----------------------------------------------------------------------------------------------------


def reencoded_image(content: bytes, field: str, limits: DocumentLimits = DocumentLimits()) -> bytes:
    """The image's first frame, upright, as a fresh JPEG without any metadata; refused (``field``) unless it is a
    JPEG, PNG or WebP image within ``limits`` whose every pixel decodes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=IMAGE_FORMATS) as probe:
                _check_pixels(probe.size, field, limits)
                probe.verify()
            with Image.open(io.BytesIO(content), formats=IMAGE_FORMATS) as image:
                _check_pixels(image.size, field, limits)
                image.load()
                pixels = _flattened(_upright(image))
    except RequestRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        logger.info("desk: image refused: %s: %s", type(exc).__name__, exc)
        if isinstance(exc, UnidentifiedImageError):
            raise RequestRefused(field, NOT_AN_IMAGE) from None
        raise RequestRefused(field, TOO_MANY_PIXELS, megapixels=_whole(limits.max_image_pixels / 1e6)) from None
    except Exception as exc:  # truncated or damaged data: OSError, SyntaxError, ValueError, ...
        logger.info("desk: image refused, unreadable: %s: %s", type(exc).__name__, exc)
        raise RequestRefused(field, UNREADABLE_IMAGE) from None
    out = io.BytesIO()
    pixels.info = {}  # nothing of the original's metadata may ride along (Pillow would copy a JPEG comment)
    pixels.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says; as it is when that cannot be read (the EXIF is dropped
    anyway, and a photo on its side is still a photo)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception as exc:
        logger.info("desk: EXIF orientation ignored: %s: %s", type(exc).__name__, exc)
        return image


def _check_pixels(size: tuple[int, int], field: str, limits: DocumentLimits) -> None:
    width, height = size
    if width < 1 or height < 1 or width * height > limits.max_image_pixels:
        raise RequestRefused(field, TOO_MANY_PIXELS, megapixels=_whole(limits.max_image_pixels / 1e6))


def _flattened(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency laid on white (an ID masked in the browser may come as a PNG with alpha)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
