"""What every page of the admin UI shares: the security headers, no inline script or style anywhere, both
languages (their catalogs: test_translations), the layout's stable element ids, and error pages without a stack
trace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.translations import translate
from mfa_recovery.web.admin_ui import i18n

from .fakes.admin_ui import UI, UiHarness, close, make_ui
from .fakes.clock import FakeClock
from .fakes.keycloak import PUBLIC_URL
from .support import USER_ID, json_body
from .test_admin_ui_employees import element

PACKAGE = files("mfa_recovery.web.admin_ui")
TEMPLATES = sorted(Path(str(PACKAGE.joinpath("templates/admin_ui"))).glob("*.html"))
PAGES = [
    f"{UI}/employees",
    f"{UI}/employees/{USER_ID}",
    f"{UI}/employees/{USER_ID}/disable-mfa",
    f"{UI}/employees/{USER_ID}/revoke-backup-codes",
    f"{UI}/employees/{USER_ID}/remove-backup-email",
    f"{UI}/settings/general",
    f"{UI}/audit",
]
TABS = {
    "en": ("Employees", "Audit", "Settings", "Sign out"),
    "nl": ("Medewerkers", "Audit", "Instellingen", "Uitloggen"),
}
CSP = (
    f"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' {PUBLIC_URL}; frame-ancestors 'none'; "
    "base-uri 'none'"
)


@pytest.fixture
def ui(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[UiHarness]:
    harness = make_ui(settings, clock, fast_hasher)
    harness.sign_in()
    yield harness
    close(harness)


def assert_ui_headers(response) -> None:  # noqa: ANN001
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


# --- the templates ------------------------------------------------------------------------------------------------


def test_the_templates_and_the_stylesheet_ship_with_the_package() -> None:
    assert {path.name for path in TEMPLATES} >= {"layout.html", "employees.html", "employee.html", "confirm.html",
                                                 "settings_general.html", "audit.html", "error.html",
                                                 "signed_out.html"}  # fmt: skip
    assert PACKAGE.joinpath("static/admin.css").is_file()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", text, re.I)


def test_the_articles_exact_words(ui: UiHarness) -> None:
    expected = [
        ("Employees", "Medewerkers"),
        ("Overview", "Overzicht"),
        ("Personal data", "Persoonsgegevens"),
        ("Disable MFA", "Multifactor authenticatie uitschakelen"),
        ("Settings", "Instellingen"),
        ("Audit", "Audit"),
    ]
    for language, column in (("en", 0), ("nl", 1)):
        overview = ui.page(f"{UI}/employees/{USER_ID}", headers={"Accept-Language": language})
        for words in expected:
            assert f">{words[column]}<" in overview, (language, words)
        settings = ui.page(f"{UI}/settings/general", headers={"Accept-Language": language})
        assert f"<h2>{('General', 'Algemeen')[column]}</h2>" in settings


def test_language_choice() -> None:
    class Accept:
        def __init__(self, best: str | None) -> None:
            self.best = best

        def best_match(self, languages, default):  # noqa: ANN001, ANN202
            return self.best or default

    assert i18n.choose("nl", "en", Accept("en")) == "nl"
    assert i18n.choose(None, "nl", Accept("en")) == "nl"
    assert i18n.choose("fr", None, Accept("nl")) == "nl"
    assert i18n.choose(None, None, Accept(None)) == "en"
    assert translate("nl", "A text the catalog does not have") == "A text the catalog does not have"


# --- the pages ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_both_languages_with_the_headers(ui: UiHarness, path: str, language: str) -> None:
    response = ui.client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert_ui_headers(response)
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    for text in TABS[language]:
        assert text in html
    for element_id in ("nav-employees", "nav-audit", "nav-settings", "sign-out", "lang-en", "lang-nl", "main"):
        assert element(html, element_id), element_id
    assert "Admin Admin" in html  # the signed-in administrator's name (from the ID token)
    assert 'class="skip-link" href="#main"' in html
    assert html.count('aria-current="page"') >= 1
    # No field left unfilled.
    shown = re.sub(r"<[^>]*>", "", html)
    assert "{" not in shown and "%(" not in shown


def test_every_input_has_a_label(ui: UiHarness) -> None:
    for path in PAGES:
        html = ui.page(path)
        for field in re.findall(r"<(?:input|textarea|select)\b[^>]*>", html):
            if 'type="hidden"' in field:
                continue
            field_id = re.search(r'id="([^"]+)"', field)
            assert field_id, (path, field)
            assert f'<label for="{field_id.group(1)}">' in html, (path, field)


def test_the_language_switch_is_kept_in_the_session(ui: UiHarness) -> None:
    html = ui.page(f"{UI}/employees?lang=nl")
    assert '<html lang="nl">' in html
    assert f'href="{UI}/employees?lang=en"' in element(html, "lang-en")
    assert 'aria-current="true"' in element(html, "lang-nl")
    assert '<html lang="nl">' in ui.page(f"{UI}/audit", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in ui.page(f"{UI}/audit?lang=en")
    assert '<html lang="en">' in ui.page(f"{UI}/audit", headers={"Accept-Language": "nl"})


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/ui/nothing/here", 404, "Not found"),
        (f"{UI}/employees/no-such-user", 404, "Not found"),
        ("/ui/realms/bad%20realm/employees", 400, "This request is not valid"),
        (f"{UI}/settings/general/policy", 405, "This request is not valid"),
    ],
)
def test_error_pages_are_pages(ui: UiHarness, path: str, status: int, title: str) -> None:
    response = ui.client.get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert_ui_headers(response)
    text = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in text and "Traceback" not in text


def test_an_unexpected_error_is_a_page_without_a_stack_trace(ui: UiHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("database on fire")

    monkeypatch.setattr(ui.services.employees, "page", broken)
    response = ui.client.get(f"{UI}/employees")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong" in text and "database on fire" not in text and "Traceback" not in text


def test_the_stylesheet_and_the_api_keep_their_own_answers(ui: UiHarness) -> None:
    css = ui.client.get("/ui/static/admin.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert_ui_headers(css)
    assert b"#c9190b" in css.data
    api = ui.client.get("/admin/v1/realms/acme/employees")
    assert api.status_code == 401 and json_body(api)["error"] == "invalid_token"
    assert "Content-Security-Policy" not in api.headers
    assert json_body(ui.client.get("/admin/v1/nothing"))["error"] == "not_found"


def test_signed_out_pages_have_no_tabs(ui: UiHarness) -> None:
    ui.post_form(f"{UI}/employees", "sign-out", {})
    html = ui.page(f"{UI}/signed-out?lang=nl")
    assert "Opnieuw inloggen" in html and not element(html, "nav-employees") and not element(html, "sign-out")
    assert f'href="{UI}/login?lang=nl"' in element(html, "sign-in-again")
