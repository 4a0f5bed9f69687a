"""The citizen service number (BSN) must not be readable on a document the desk keeps.

The page masks the identity document in the browser; this is the server's check that it did. ``tesseract`` reads
the text of the image as it will be stored (re-encoded, see :mod:`.documents`), and any nine digits in a row that
pass the BSN's eleven-test refuse the document before anything is stored. The digits may be printed in groups
(``1234.56.782``, ``123 456 782``), and the number line at the bottom of a Dutch ID (the machine-readable zone) runs
the BSN straight on from other digits (a check digit before it), so every nine digits in a row of a longer run count
too: a false alarm costs the requester another upload, a miss would keep a BSN.

OCR is a safety net, not a proof: a BSN it cannot read (blurred, tiny, at an angle) passes, which is why the operator
still looks. Without the ``tesseract`` binary the check is skipped, and the case records that it was
(``ocr_checked``). When tesseract fails or takes longer than :data:`OCR_TIMEOUT_SECONDS`, the document is refused:
what cannot be checked is not kept.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable

from PIL import Image

from ..translations import N_
from .documents import CheckedDocument
from .intake import DocumentKind, RequestRefused

logger = logging.getLogger(__name__)

BSN_LENGTH = 9
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
# Tesseract's page segmentation mode 11: sparse text, as many words as it finds in no particular order (an ID's
# fields are scattered over the card).
TESSERACT_ARGS = ("stdin", "stdout", "--psm", "11")
OCR_TIMEOUT_SECONDS = 30.0
# Images are read at most this large (the longer side, in pixels): tesseract's time grows much faster than the
# pixels (a noisy 12-megapixel photo took over a minute, 3 megapixels a few seconds), and an ID's print stays
# legible at this size.
OCR_MAX_SIDE = 2000

_DIGIT_RUN = re.compile(r"[0-9]+(?:[ .][0-9]+)*")
_NINE_DIGITS = re.compile(r"[0-9]{9}")

BSN_ON_ID_DOCUMENT = N_(
    "The citizen service number (BSN) is still readable. Cover it, also in the number line at the bottom, and send "
    "the copy again."
)
BSN_ON_SELFIE = N_("The citizen service number (BSN) is readable in the photo. Cover it and take the photo again.")
NOT_CHECKED = N_(
    "This image could not be checked for a readable citizen service number (BSN). Send a smaller or sharper image."
)

BsnReader = Callable[[bytes], list[str] | None]
"""Reads the BSNs legible in an image: :func:`legible_bsns`, or a stand-in in tests. None: no OCR here."""


class OcrFailed(Exception):
    """Tesseract is there but gave no answer: it failed, or took too long."""


def is_bsn(digits: str) -> bool:
    """Whether ``digits`` is nine ASCII digits, not all zeros, passing the eleven-test (9·d1 + 8·d2 + … + 2·d8 −
    d9 is a multiple of 11)."""
    if _NINE_DIGITS.fullmatch(digits) is None or digits == "0" * BSN_LENGTH:
        return False
    return sum(weight * int(digit) for weight, digit in zip(WEIGHTS, digits, strict=True)) % 11 == 0


def find_bsns(text: str) -> list[str]:
    """Every BSN in ``text`` (each once, in order of appearance): nine digits in a row, with single spaces or dots
    allowed between groups of digits, also inside a longer run of digits."""
    found: dict[str, None] = {}
    for run in _DIGIT_RUN.finditer(text):
        digits = run.group().replace(" ", "").replace(".", "")
        for start in range(len(digits) - BSN_LENGTH + 1):
            window = digits[start : start + BSN_LENGTH]
            if is_bsn(window):
                found.setdefault(window)
    return list(found)


def legible_bsns(image: bytes, *, command: str = "tesseract", timeout: float = OCR_TIMEOUT_SECONDS) -> list[str] | None:
    """The BSNs tesseract reads in ``image`` (a JPEG or PNG the desk made); None when there is no ``command``.
    Raises :class:`OcrFailed` when tesseract fails or runs past ``timeout`` seconds (it is killed then)."""
    executable = shutil.which(command)
    if executable is None:
        return None
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per request
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program and arguments; the image goes to its stdin
            [executable, *TESSERACT_ARGS],
            input=_for_ocr(image),
            capture_output=True,
            timeout=timeout,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrFailed(f"tesseract took longer than {timeout:g} s") from exc
    except OSError as exc:
        raise OcrFailed(f"cannot run tesseract: {exc}") from exc
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip()[:300]
        raise OcrFailed(f"tesseract exited with {done.returncode}: {error}")
    return find_bsns(done.stdout.decode("utf-8", "replace"))


def _for_ocr(image: bytes) -> bytes:
    """Grey, at most :data:`OCR_MAX_SIDE` pixels on its longer side, as PNG."""
    with Image.open(io.BytesIO(image)) as opened:
        grey = opened.convert("L")
    grey.thumbnail((OCR_MAX_SIDE, OCR_MAX_SIDE))
    out = io.BytesIO()
    grey.save(out, format="PNG")
    return out.getvalue()


def tesseract_available(command: str = "tesseract") -> bool:
    return shutil.which(command) is not None


def check_no_bsn(document: CheckedDocument, read: BsnReader) -> bool:
    """Refuse ``document`` (an image) when a BSN is legible on it, or when it could not be checked. Returns whether
    it was checked: False when there is no OCR here."""
    try:
        found = read(document.content)
    except OcrFailed as exc:
        logger.warning("desk: %s refused, OCR failed: %s", document.kind.value, exc)
        raise RequestRefused(document.kind.value, NOT_CHECKED) from None
    if found is None:
        return False
    if found:
        logger.info("desk: %s refused, a BSN is legible", document.kind.value)  # never the number itself
        message = BSN_ON_ID_DOCUMENT if document.kind is DocumentKind.ID_DOCUMENT else BSN_ON_SELFIE
        raise RequestRefused(document.kind.value, message)
    return True
