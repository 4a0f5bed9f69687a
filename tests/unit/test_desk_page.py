"""The recovery desk's request page: the form in both languages with the guidance for a safe copy, its headers,
the form token without a session, what a POST hands the desk's intake and every answer it can get back, the size
limit, the desk switched off, the bridge port, and the sign-in pages' link to it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from html import unescape
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from mfa_recovery.config import Settings
from mfa_recovery.desk.intake import DocumentKind, Filed, RecoveryRequest, RequestRefused, TooManyRequests, Upload
from mfa_recovery.web.app import create_app
from mfa_recovery.web.desk.form_token import COOKIE_NAME, FormTokens, form_key
from mfa_recovery.web.desk.pages import MAX_REQUEST_BYTES

from .conftest import Wiring
from .fakes.desk import CASE_NUMBER, FakeDeskIntake, open_desk
from .support import PEPPER, matching
from .test_listeners import BRIDGE_PORT, MAIN_PORT, on

PAGE = "/desk/request"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PACKAGE = files("mfa_recovery.web.desk")
TEMPLATES = sorted(Path(str(PACKAGE.joinpath("templates/desk"))).glob("*.html"))
THEME = Path(__file__).resolve().parents[2] / "themes" / "mfa-recovery" / "login"
GUIDANCE = {
    "en": (
        "Make sure that your citizen service number (BSN) is illegible on the copy, also in the number line at the "
        "bottom.",
        "Write on the copy that it is a copy.",
        "Write on the copy for which organisation or product the copy is intended.",
        "Write on the copy the date on which you hand it in.",
        "A copy of the extract from the Chamber of Commerce (KvK)",
        "A copy of your identity document with a selfie",
    ),
    "nl": (
        "Maak in de kopie je Burgerservicenummer onleesbaar, ook in de cijferreeks onderaan.",
        "Schrijf op de kopie dat het een kopie is.",
        "Schrijf op de kopie voor welke instantie of welk product de kopie is bedoeld.",
        "Schrijf op de kopie de datum waarop je de kopie afgeeft.",
        "Een kopie van het uittreksel van de KvK",
        "Een kopie van je identiteitsbewijs met daarbij een selfie",
    ),
}
ON_DEVICE = {"en": "This page does this on your own device", "nl": "Deze pagina doet dat op je eigen apparaat"}
FIELDS = {
    "organisation": "Acme B.V.",
    "realm": "acme",
    "account": "carol@acme.example",
    "phone": "+31 20 123 4567",
    "kvk_number": "12345678",
}


def picture(kind: str, size: tuple[int, int] = (640, 400)) -> bytes:
    """A noisy picture, so that it is larger than Werkzeug's 64 KiB parsing chunk (as real uploads are)."""
    out = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(out, kind)
    return out.getvalue()


KVK_PDF = b"%PDF-1.4\n%" + b"0" * 100_000 + b"\n%%EOF\n"
MASKED_PNG = picture("PNG")
SELFIE_JPEG = picture("JPEG")


@pytest.fixture
def intake() -> FakeDeskIntake:
    return FakeDeskIntake()


@pytest.fixture
def desk(app: Flask, intake: FakeDeskIntake) -> FlaskClient:
    """A browser on the desk's pages, with the desk open."""
    open_desk(app, intake)
    return app.test_client()


def token_of(html: str) -> str:
    return matching(r'name="csrf_token" value="([0-9a-f]{64})"', html).group(1)


def open_form(client: FlaskClient, path: str = PAGE, **kwargs: Any) -> str:
    """GET the form (the browser keeps its cookie); its token."""
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return token_of(response.get_data(as_text=True))


def documents() -> dict[str, tuple[io.BytesIO, str, str]]:
    """The three files as the page sends them: the masked copy under ``id_document``, nothing else of it."""
    return {
        "kvk_extract": (io.BytesIO(KVK_PDF), "uittreksel.pdf", "application/pdf"),
        "id_document": (io.BytesIO(MASKED_PNG), "id-document-copy.png", "image/png"),
        "selfie": (io.BytesIO(SELFIE_JPEG), "selfie.jpg", "image/jpeg"),
    }


def send(client: FlaskClient, token: str | None, path: str = PAGE, **kwargs: Any) -> TestResponse:
    data: dict[str, Any] = {**FIELDS, **documents(), **kwargs.pop("data", {})}
    if token is not None:
        data["csrf_token"] = token
    return client.post(path, data=data, content_type="multipart/form-data", **kwargs)


def text(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def element(html: str, element_id: str) -> str:
    """The text of the element with this id (a paragraph or similar, no nesting)."""
    found = matching(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</', html, re.S)
    return unescape(found.group(1)).strip()


def assert_desk_headers(response: TestResponse) -> None:
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


# --- the form -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "language"),
    [({"query_string": {"lang": "en"}}, "en"), ({"query_string": {"lang": "nl"}}, "nl"),
     ({"headers": {"Accept-Language": "nl-NL,nl;q=0.9"}}, "nl"), ({"headers": {"Accept-Language": "fr"}}, "en"),
     ({}, "en"), ({"query_string": {"lang": "en"}, "headers": {"Accept-Language": "nl"}}, "en")],
)  # fmt: skip
def test_the_form_with_the_guidance_in_both_languages(desk: FlaskClient, how: dict[str, Any], language: str) -> None:
    response = desk.get(PAGE, **how)
    assert response.status_code == 200
    assert_desk_headers(response)
    html = text(response)
    assert f'<html lang="{language}">' in html
    for point in GUIDANCE[language]:
        assert point in html, point
    guidance = matching(r'<ul id="guidance-points">(.*?)</ul>', html, re.S).group(1)
    assert [unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", guidance)] == list(GUIDANCE[language][:4])
    assert element(html, "guidance-on-device").startswith(ON_DEVICE[language])
    assert '<noscript><p id="id-document-noscript"' in html
    assert '<script src="/desk/static/desk-mask.js" defer></script>' in html
    assert f'action="/desk/request?lang={language}"' in html


def test_the_original_identity_document_has_no_field_name(desk: FlaskClient) -> None:
    """The picker of the original has no name, so a browser never sends it; the script fills ``id_document``."""
    html = desk.get(PAGE).get_data(as_text=True)
    picker = matching(r"<input id=\"id-document-picker\"[^>]*>", html).group(0)
    assert "name=" not in picker
    masked = matching(r"<input id=\"id_document\"[^>]*>", html).group(0)
    assert 'name="id_document"' in masked and " hidden" in masked
    names = set(re.findall(r'<input[^>]* name="([^"]+)"', html))
    assert names == {"csrf_token", *FIELDS, *(kind.value for kind in DocumentKind)}
    assert 'enctype="multipart/form-data"' in html


def test_the_realm_is_filled_in_from_the_link(desk: FlaskClient) -> None:
    html = desk.get(PAGE, query_string={"realm": "acme", "lang": "nl"}).get_data(as_text=True)
    assert 'name="realm" type="text" value="acme"' in html
    assert 'href="/desk/request?realm=acme&amp;lang=en"' in html  # the other language keeps the realm
    for odd in ("<script>", "../acme", "a" * 300):
        html = desk.get(PAGE, query_string={"realm": odd}).get_data(as_text=True)
        assert 'name="realm" type="text" value=""' in html, odd


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    source = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", source, re.I)


def test_the_script_and_stylesheet_are_the_sidecars_own(desk: FlaskClient) -> None:
    for path, kind in (("/desk/static/desk-mask.js", "text/javascript"), ("/desk/static/desk.css", "text/css")):
        response = desk.get(path)
        assert response.status_code == 200
        assert response.mimetype == kind
        assert_desk_headers(response)
        body = response.get_data(as_text=True)
        assert not re.search(r"https?://|import\s|require\(|eval\(|innerHTML", body), path
    script = desk.get("/desk/static/desk-mask.js").get_data(as_text=True)
    assert "KOPIE / COPY – " in script and "MFA recovery – " in script
    assert "canvas.toBlob(" in script and '"image/png"' in script


def test_the_form_cookie(desk: FlaskClient, app: Flask) -> None:
    response = desk.get(PAGE)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "; HttpOnly" in cookie and "; SameSite=Strict" in cookie and "; Path=/desk" in cookie
    assert "Secure" not in cookie  # plain http on loopback (the tests' public URL)
    assert "Expires" not in cookie and "Max-Age" not in cookie  # ends with the browser session
    again = desk.get(PAGE)
    assert "Set-Cookie" not in again.headers  # the same cookie, so another tab's form still works
    assert token_of(again.get_data(as_text=True)) == token_of(response.get_data(as_text=True))


def test_the_form_cookie_is_secure_beyond_loopback(settings: Settings, wiring: Wiring) -> None:
    app = create_app(replace(settings, public_url="https://desk.example"), **wiring)
    try:
        open_desk(app, FakeDeskIntake())
        assert "; Secure" in app.test_client().get(PAGE).headers["Set-Cookie"]
    finally:
        app.extensions["mfa_recovery"].engine.dispose()


def test_the_form_key_is_derived_from_the_pepper_not_the_pepper() -> None:
    key = form_key(PEPPER)
    assert len(key) == 32 and key != PEPPER.encode()[:32] and key == form_key(PEPPER) != form_key(PEPPER + "x")
    tokens = FormTokens(key, "http://127.0.0.1:8081")
    cookie, fresh = tokens.cookie(None)
    assert fresh and tokens.cookie(cookie) == (cookie, False)
    assert tokens.cookie("not a cookie")[1]
    tokens.check_token(cookie, tokens.token(cookie))


# --- filing -------------------------------------------------------------------------------------------------------


def test_a_request_is_handed_to_the_desk_as_sent(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    token = open_form(desk, query_string={"lang": "nl"})
    response = send(
        desk,
        token,
        query_string={"lang": "nl"},
        headers={"User-Agent": "DeskTest/1.0"},
        data={"original": (io.BytesIO(b"never passed on"), "original.png")},  # a field the page does not have
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert_desk_headers(response)
    assert intake.requests == [
        RecoveryRequest(
            organisation="Acme B.V.",
            realm="acme",
            account="carol@acme.example",
            phone="+31 20 123 4567",
            kvk_number="12345678",
            documents=(
                Upload(DocumentKind.KVK_EXTRACT, "uittreksel.pdf", KVK_PDF),
                Upload(DocumentKind.ID_DOCUMENT, "id-document-copy.png", MASKED_PNG),
                Upload(DocumentKind.SELFIE, "selfie.jpg", SELFIE_JPEG),
            ),
            ip="127.0.0.1",
            user_agent="DeskTest/1.0",
            language="nl",
        )
    ]
    html = text(response)
    assert element(html, "case-number") == CASE_NUMBER
    assert "Je verzoek is ingediend" in html
    assert "Je documenten worden verwijderd zodra er over de zaak is beslist." in html
    assert "De medewerker belt je terug" in html
    assert 'id="lang-en"' not in html  # a language link would lead back to the form, away from the case number


def test_an_empty_file_input_is_no_document(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    """A browser sends a file input left empty as a part without name or content; the page has no JavaScript then,
    so the identity document is missing, and the desk says so."""
    token = open_form(desk)
    send(desk, token, data={"id_document": (io.BytesIO(b""), "")})
    assert [upload.kind for upload in intake.requests[0].documents] == [DocumentKind.KVK_EXTRACT, DocumentKind.SELFIE]


def test_the_same_page_whatever_the_account(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    token = open_form(desk)
    first = text(send(desk, token))
    second = text(send(desk, token, data={"account": "nobody@nowhere.example"}))
    assert first == second
    assert [request.account for request in intake.requests] == ["carol@acme.example", "nobody@nowhere.example"]


# --- the form token -----------------------------------------------------------------------------------------------


def refused(response: TestResponse, intake: FakeDeskIntake) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:2000]
    assert_desk_headers(response)
    html = text(response)
    assert "<h1>This form cannot be sent</h1>" in html
    assert "Nothing was sent." in html
    assert element(html, "error-link") == "Open the request form"
    assert intake.requests == []


def test_no_cookie_is_refused(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    token = open_form(desk)
    desk.delete_cookie(COOKIE_NAME, path="/desk")
    refused(send(desk, token), intake)


def test_no_token_or_a_wrong_one_is_refused(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    token = open_form(desk)
    refused(send(desk, None), intake)
    refused(send(desk, ""), intake)
    refused(send(desk, token[:-1] + ("0" if token[-1] != "0" else "1")), intake)


def test_a_token_of_another_cookie_is_refused(desk: FlaskClient, app: Flask, intake: FakeDeskIntake) -> None:
    """A token someone else got with their own cookie does not fit this browser's cookie."""
    theirs = open_form(app.test_client())
    open_form(desk)
    refused(send(desk, theirs), intake)


def test_a_planted_cookie_needs_the_key(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    planted = "A" * 43
    desk.set_cookie(COOKIE_NAME, planted, path="/desk")
    refused(send(desk, planted), intake)  # plain double submit would pass this
    refused(send(desk, FormTokens(form_key("another pepper"), "").token(planted)), intake)


@pytest.mark.parametrize("foreign", ["https://evil.example", "http://127.0.0.1:9999", "http://localhost:8081"])
def test_a_foreign_origin_is_refused(desk: FlaskClient, intake: FakeDeskIntake, foreign: str) -> None:
    token = open_form(desk)
    refused(send(desk, token, headers={"Origin": foreign}), intake)


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8081", "null"])
def test_the_sidecars_origin_or_none_is_left_to_the_token(
    desk: FlaskClient, intake: FakeDeskIntake, origin: str
) -> None:
    token = open_form(desk)
    assert send(desk, token, headers={"Origin": origin}).status_code == 200
    assert len(intake.requests) == 1


# --- what the desk answers ----------------------------------------------------------------------------------------


def test_a_refusal_is_shown_at_its_field_with_the_rest_kept(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    intake.answer = RequestRefused("kvk_number", "A KvK number has 8 digits, not %(count)s.", count=3)
    token = open_form(desk)
    response = send(desk, token, data={"kvk_number": "123"})
    assert response.status_code == 400
    assert_desk_headers(response)
    html = response.get_data(as_text=True)
    assert element(html, "kvk_number-error") == "A KvK number has 8 digits, not 3."
    kvk = matching(r'<input id="kvk_number"[^>]*>', html).group(0)
    assert 'value="123"' in kvk and 'aria-invalid="true"' in kvk and "kvk_number-error" in kvk
    for name in ("organisation", "realm", "account", "phone"):
        assert f'value="{FIELDS[name]}"' in unescape(html), name
    assert element(html, "choose-again") == "The files you chose were not kept. Choose all three files again."
    assert token_of(html) == token  # the same cookie: the form can be sent again
    intake.answer = Filed(CASE_NUMBER)
    assert send(desk, token).status_code == 200
    assert len(intake.requests) == 2


def test_a_refusal_is_translated_with_its_values(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    intake.answer = RequestRefused("selfie", "Together the files may be at most %(megabytes)s MB.", megabytes=32)
    token = open_form(desk, query_string={"lang": "nl"})
    html = send(desk, token, query_string={"lang": "nl"}).get_data(as_text=True)
    assert element(html, "selfie-error") == "Samen mogen de bestanden hoogstens 32 MB zijn."
    assert (
        element(html, "choose-again")
        == "De bestanden die je koos zijn niet bewaard. Kies alle drie de bestanden opnieuw."
    )


@pytest.mark.parametrize(
    ("field", "shown_at"), [("id_document", "id_document-error"), (None, "form-error"), ("nonsense", "form-error")]
)
def test_a_refusal_of_a_document_or_of_the_whole(
    desk: FlaskClient, intake: FakeDeskIntake, field: str | None, shown_at: str
) -> None:
    intake.answer = RequestRefused(field, "This cannot be filed.")
    token = open_form(desk)
    html = send(desk, token).get_data(as_text=True)
    assert element(html, shown_at) == "This cannot be filed."


def test_too_many_requests(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    intake.answer = TooManyRequests(125)
    token = open_form(desk)
    response = send(desk, token)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "125"
    assert_desk_headers(response)
    assert "Try again in 3 minutes." in text(response)
    assert "<form" not in text(response)


def test_an_upload_past_the_limit_is_413(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    token = open_form(desk)
    body = b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode() + b"\r\n--b\r\n"
    body += b'Content-Disposition: form-data; name="kvk_extract"; filename="a.pdf"\r\n\r\n'
    body += b"0" * (MAX_REQUEST_BYTES - len(body) + 1) + b"\r\n--b--\r\n"
    response = desk.post(PAGE, data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert_desk_headers(response)
    html = text(response)
    assert "<h1>The files are too large</h1>" in html and "at most 32 MB" in html
    assert intake.requests == []


def test_uploads_beyond_the_rest_of_the_sidecars_limit_pass(
    desk: FlaskClient, intake: FakeDeskIntake, make_token: Callable[..., str]
) -> None:
    """The app takes 16 KiB elsewhere; the desk's documents are larger, and Werkzeug reads them in 64 KiB chunks."""
    assert min(len(KVK_PDF), len(MASKED_PNG), len(SELFIE_JPEG)) > 64 * 1024
    token = open_form(desk)
    assert send(desk, token).status_code == 200
    verify = "/bridge/v1/backup-codes/verify"
    elsewhere = desk.post(verify, data="{" + " " * 20_000 + "}", content_type="application/json",
                          headers={"Authorization": f"Bearer {make_token(verify)}"})  # fmt: skip
    assert elsewhere.status_code == 413  # unchanged there


# --- the desk off, errors, the bridge port ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_desk_off_is_a_503_page_without_a_form(app: Flask, language: str) -> None:
    open_desk(app, None)  # no intake: the desk is off
    client = app.test_client()
    for response in (
        client.get(PAGE, query_string={"lang": language}),
        client.post(PAGE, query_string={"lang": language}, data=FIELDS),
    ):
        assert response.status_code == 503
        assert_desk_headers(response)
        html = text(response)
        assert "<form" not in html and "Set-Cookie" not in response.headers
        assert ("The recovery desk is closed", "Het herstelloket is gesloten")[language == "nl"] in html


def test_errors_under_desk_are_pages(desk: FlaskClient) -> None:
    missing = desk.get("/desk/nothing")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in text(missing)
    assert_desk_headers(missing)
    wrong = desk.put(PAGE)
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"] and "<h1>" in text(wrong)
    elsewhere = desk.get("/nothing")  # beyond /desk the errors stay JSON
    assert elsewhere.json is not None and elsewhere.json["error"] == "not_found"


def test_an_unexpected_error_is_a_page_without_detail(desk: FlaskClient, intake: FakeDeskIntake) -> None:
    intake.answer = RuntimeError("the store is down: secret detail")
    token = open_form(desk)
    response = send(desk, token)
    assert response.status_code == 500
    assert "secret detail" not in text(response) and "<h1>Something went wrong</h1>" in text(response)


@pytest.fixture
def split(settings: Settings, wiring: Wiring) -> Iterator[FlaskClient]:
    app = create_app(replace(settings, bridge_port=BRIDGE_PORT), **wiring)
    open_desk(app, FakeDeskIntake())
    yield app.test_client()
    app.extensions["mfa_recovery"].engine.dispose()


def test_the_bridge_port_refuses_the_desk(split: FlaskClient) -> None:
    for path in (PAGE, "/desk/static/desk-mask.js", "/desk/nothing"):
        response = split.get(path, **on(BRIDGE_PORT))
        assert response.status_code == 404, path
        assert response.json is not None and response.json["error"] == "not_found"
    assert split.post(PAGE, data=FIELDS, **on(BRIDGE_PORT)).status_code == 404
    assert split.get(PAGE, **on(MAIN_PORT)).status_code == 200


# --- the sign-in pages' link --------------------------------------------------------------------------------------


def properties(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.lstrip().startswith("#")}


def test_the_sign_in_pages_link_to_the_desk() -> None:
    assert properties(THEME / "messages" / "messages_en.properties")["mfaRecoveryDeskLink"] == (
        "Administrator and lost your MFA?"
    )
    assert (
        properties(THEME / "messages" / "messages_nl.properties")["mfaRecoveryDeskLink"] == "Beheerder en je MFA kwijt?"
    )
    assert properties(THEME / "theme.properties")["mfaRecoveryDeskUrl"] == "${env.MFA_RECOVERY_DESK_URL:}"
    common = (THEME / "mfa-recovery-common.ftl").read_text(encoding="utf-8")
    assert '"/desk/request?realm=" + realm.name?url("UTF-8") + "&lang=" + (lang!"en")?url("UTF-8")' in common
    for page in ("login-otp.ftl", "login.ftl"):
        assert "<@recovery.deskLink />" in (THEME / page).read_text(encoding="utf-8"), page
    script = (THEME.parents[2] / "scripts" / "keycloak.sh").read_text(encoding="utf-8")
    assert 'MFA_RECOVERY_DESK_URL="${MFA_RECOVERY_DESK_URL-$MFA_RECOVERY_SIDECAR_URL}"' in script
