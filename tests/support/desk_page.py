"""The recovery desk's request page driven in Chromium: the documents a requester has, filling in the form, masking
the identity document on the canvas, and what the browser sends (``keep_what_is_sent``: the form's data set, read at
the moment the form is sent, as the browser builds it for the POST); checks of a copy's masked area and stamp."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw
from playwright.sync_api import Page

from tests.support.screenshots import shoot

REALM = "acme"
# The picture of the identity document: a card with a blue "BSN" field and a green number line, at these places.
CARD_SIZE = (1600, 1000)
BSN_FIELD = (100, 300, 500, 380)
NUMBER_LINE = (0, 850, 1600, 1000)
ORIGINAL_NAME = "identity-document.png"
FIELDS = {
    "#organisation": "Acme B.V.",
    "#account": "carol",
    "#phone": "+31 20 123 4567",
    "#kvk_number": "12345678",
}
# Wraps the form's submit(): the form's data set (what the browser is about to POST) goes to the test first.
KEEP_WHAT_IS_SENT = """
(() => {
  const submit = HTMLFormElement.prototype.submit;
  HTMLFormElement.prototype.submit = function () {
    const form = this;
    const entries = [];
    const reads = [];
    for (const [name, value] of new FormData(form)) {
      if (value instanceof File) {
        reads.push(new Promise((done) => {
          const reader = new FileReader();
          reader.onload = () => { entries.push([name, value.name, reader.result]); done(); };
          reader.readAsDataURL(value);
        }));
      } else {
        entries.push([name, null, value]);
      }
    }
    Promise.all(reads).then(() => window.deskTestKeep(entries)).then(() => submit.call(form));
  };
})();
"""


@dataclass(frozen=True)
class Sent:
    """One entry of the form data the browser sent: a field's value, or a file's name and content."""

    name: str
    filename: str | None
    value: str
    content: bytes


def keep_what_is_sent(page: Page) -> list[Sent]:
    """From now on, what the page's form sends (filled in when the form is sent)."""
    sent: list[Sent] = []

    def keep(entries: list[list[str | None]]) -> None:
        for name, filename, value in entries:
            assert name is not None and value is not None
            content = base64.b64decode(value.split(",", 1)[1]) if filename is not None else b""
            sent.append(Sent(name, filename, value if filename is None else "", content))

    page.expose_function("deskTestKeep", keep)
    page.add_init_script(KEEP_WHAT_IS_SENT)
    return sent


def make_documents(folder: Path) -> dict[str, Path]:
    """A minimal valid PDF (the KvK extract), the identity document as a PNG, and a selfie as a JPEG."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]  # fmt: skip
    pdf = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    card = Image.new("RGB", CARD_SIZE, (230, 230, 220))
    draw = ImageDraw.Draw(card)
    draw.rectangle(BSN_FIELD, fill=(0, 0, 255))
    draw.rectangle(NUMBER_LINE, fill=(0, 200, 0))
    selfie = Image.new("RGB", (480, 640), (200, 150, 120))
    paths = {"kvk": folder / "kvk-extract.pdf", "id": folder / ORIGINAL_NAME, "selfie": folder / "selfie.jpg"}
    paths["kvk"].write_bytes(pdf)
    card.save(paths["id"], "PNG")
    selfie.save(paths["selfie"], "JPEG")
    return paths


def blacked_out(png: bytes, area: tuple[int, int, int, int], margin: int = 4) -> bool:
    """Whether every pixel of ``area`` (left, top, right, bottom; ``margin`` in from its edges) is black."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    left, top, right, bottom = area
    inside = image.crop((left + margin, top + margin, right - margin, bottom - margin))
    return inside.getextrema() == ((0, 0), (0, 0), (0, 0))


def dark(image: bytes, area: tuple[int, int, int, int], margin: int = 8) -> bool:
    """Whether ``area`` of a stored (re-encoded, so lossy) picture is black: no pixel brighter than a JPEG's noise."""
    left, top, right, bottom = area
    picture = Image.open(io.BytesIO(image)).convert("L")
    inside = picture.crop((left + margin, top + margin, right - margin, bottom - margin))
    brightest = inside.getextrema()[1]
    assert isinstance(brightest, int)
    return brightest < 40


def stamped(image: bytes, original: bytes) -> bool:
    """Whether the unmasked middle of the card differs from the original there: the stamp the page drew across."""
    middle = (600, 400, 1500, 800)
    kept = Image.open(io.BytesIO(image)).convert("L").crop(middle)
    plain = Image.open(io.BytesIO(original)).convert("L").crop(middle)
    differing = ImageChops.difference(kept, plain).point(lambda value: 255 if value > 60 else 0).histogram()[255]
    return differing > 1000


def drag_over(page: Page, area: tuple[int, int, int, int], slack: int = 12) -> None:
    """Drag across ``area`` of the picture on the canvas (image pixels, a little beyond each edge)."""
    canvas = page.locator("#id-document-canvas")
    canvas.scroll_into_view_if_needed()
    shown = canvas.bounding_box()
    assert shown is not None
    scale_x, scale_y = shown["width"] / CARD_SIZE[0], shown["height"] / CARD_SIZE[1]
    left, top, right, bottom = area
    page.mouse.move(shown["x"] + max(0, left - slack) * scale_x, shown["y"] + max(0, top - slack) * scale_y)
    page.mouse.down()
    page.mouse.move(
        shown["x"] + min(CARD_SIZE[0], right + slack) * scale_x,
        shown["y"] + min(CARD_SIZE[1], bottom + slack) * scale_y,
        steps=8,
    )
    page.mouse.up()


def open_request_page(page: Page, sidecar_url: str, language: str = "en") -> None:
    """The request page, open (the desk has its key)."""
    response = page.goto(f"{sidecar_url}/desk/request?realm={REALM}&lang={language}")
    assert response is not None
    assert response.status == 200  # the test stack runs the desk with a key of its own


def file_a_request(
    page: Page, documents: dict[str, Path], test_output: Path, *, account: str = "carol", screenshots: bool = True
) -> tuple[str, list[Sent]]:
    """Fill in the open request page for ``account``, mask the copy, send it; the case number shown and what was
    sent. ``screenshots``: of the form, the masked copy and the answer."""
    sent = keep_what_is_sent(page)
    page.reload()  # the instrumentation is in place from this load on
    assert page.locator("#realm").input_value() == REALM
    for selector, value in {**FIELDS, "#account": account}.items():
        page.locator(selector).fill(value)
    page.locator("#kvk_extract").set_input_files(documents["kvk"])
    page.locator("#selfie").set_input_files(documents["selfie"])
    page.locator("#id-document-picker").set_input_files(documents["id"])
    page.locator("#id-document-editor").wait_for()
    if screenshots:
        shoot(page, test_output, "desk-01-form-with-copy")

    page.locator("#send-request").click()  # nothing blacked out yet: the page asks for it, nothing is sent
    assert page.locator("#id-document-status").is_visible()
    assert sent == []

    drag_over(page, BSN_FIELD)
    drag_over(page, NUMBER_LINE)
    assert page.locator("#mask-undo").is_enabled()
    if screenshots:
        shoot(page, test_output, "desk-02-masked")
    page.locator("#send-request").click()
    page.locator("#case-number").wait_for()
    if screenshots:
        shoot(page, test_output, "desk-03-filed")
    return page.locator("#case-number").inner_text().strip(), sent
