"""The admin UI's sign-in with Keycloak (authorization code + PKCE), its server-side sessions, token refresh,
CSRF and sign-out."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.store.tables import ui_sessions
from mfa_recovery.web.admin_ui.sessions import COOKIE_NAME, unseal

from .fakes.admin_ui import SIDECAR_URL, UI, UiHarness, close, form_of, make_ui
from .fakes.clock import FakeClock
from .fakes.keycloak import CLIENT_ID, PUBLIC_URL
from .support import DEV_ENV, REALM, USER_ID


@pytest.fixture
def ui(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[UiHarness]:
    harness = make_ui(settings, clock, fast_hasher)
    yield harness
    close(harness)


def session_rows(ui: UiHarness) -> list[dict]:
    """The stored sessions; the data of the browser's own session unsealed with its cookie."""
    with ui.services.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(ui_sessions))]
    key = cookie(ui)
    for row in rows:
        opened = unseal(key, row["realm"], row["data"]) if key else None
        row["data"] = row["data"] if opened is None else opened
    return rows


def database_bytes(ui: UiHarness) -> bytes:
    """The SQLite file and its write-ahead log, as someone who copies them would read them."""
    database = ui.services.engine.url.database
    assert database is not None
    path = Path(database)
    return b"".join(part.read_bytes() for part in (path, path.with_name(path.name + "-wal")) if part.exists())


def cookie(ui: UiHarness) -> str | None:
    found = ui.client.get_cookie(COOKIE_NAME, path="/ui")
    return found.value if found else None


# --- signing in -------------------------------------------------------------------------------------------------


def test_login_redirects_to_keycloak_with_state_nonce_and_pkce(ui: UiHarness) -> None:
    query = ui.start_login()
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == f"{SIDECAR_URL}/ui/realms/{REALM}/callback"
    assert query["scope"] == "openid"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43 and query["state"] != query["nonce"]
    # The verifier stays in the server-side session; the challenge is its SHA-256.
    [row] = session_rows(ui)
    [(state, pending)] = row["data"]["logins"].items()
    assert state == query["state"] and pending["nonce"] == query["nonce"]
    digest = hashlib.sha256(pending["verifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(pending["verifier"]) <= 128


def test_a_page_without_a_session_sends_the_browser_to_login_and_back(ui: UiHarness) -> None:
    response = ui.client.get(f"{UI}/employees?search=jd")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{UI}/login?next=/ui/realms/{REALM}/employees?search%3Djd"
    query = ui.start_login(next_page=f"/ui/realms/{REALM}/employees?search=jd")
    back = ui.finish_login(query)
    assert back.status_code == 303 and back.headers["Location"] == f"/ui/realms/{REALM}/employees?search=jd"
    assert "employees-table" in ui.page(back.headers["Location"])


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", f"/ui/realms/{REALM}/login", "/ui/realms/other/employees"]
)
def test_login_goes_back_only_to_a_page_of_the_realm(ui: UiHarness, target: str) -> None:
    back = ui.finish_login(ui.start_login(next_page=target))
    assert back.headers["Location"] == f"/ui/realms/{REALM}/employees"


def test_sign_in_sets_a_new_session_cookie_with_safe_flags(ui: UiHarness) -> None:
    query = ui.start_login()
    before = cookie(ui)
    response = ui.finish_login(query)
    assert response.status_code == 303
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/ui" in set_cookie
    assert "Secure" not in set_cookie  # plain http on 127.0.0.1: development and tests only
    after = cookie(ui)
    assert after and after != before  # a new session at sign-in: no session fixation
    # The database holds the SHA-256 of the cookie's value, never the value.
    [row] = session_rows(ui)
    assert row["id"] == hashlib.sha256(after.encode()).hexdigest()
    assert after not in str(row)
    assert row["realm"] == REALM and row["data"]["admin"]["username"] == "admin"
    assert "logins" not in row["data"]


def test_no_token_is_readable_in_the_database_during_or_after_the_session(ui: UiHarness) -> None:
    ui.sign_in()
    [row] = session_rows(ui)
    tokens = row["data"]["tokens"]
    with ui.services.engine.connect() as conn:
        [stored] = conn.execute(select(ui_sessions.c.data)).scalars().all()
    assert set(stored) == {"sealed"}, "only ciphertext is stored"
    secrets_in_clear = [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]
    secrets_in_clear += [part for token in secrets_in_clear for part in token.split(".") if len(part) > 20]
    assert not [secret for secret in secrets_in_clear if secret.encode() in database_bytes(ui)]
    assert unseal("A" * 43, row["realm"], stored) is None, "another cookie opens nothing"
    key = cookie(ui)
    assert key is not None
    assert unseal(key, "other", stored) is None, "nor does the same cookie for another realm"

    ui.post_form(f"{UI}/employees", "sign-out", {})
    assert session_rows(ui) == []
    assert not [secret for secret in secrets_in_clear if secret.encode() in database_bytes(ui)]


def test_the_cookie_is_secure_behind_https(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> None:
    harness = make_ui(settings, clock, fast_hasher, public_url="https://mfa.acme.example")
    try:
        response = harness.client.get(f"{UI}/login")
        assert "Secure" in response.headers["Set-Cookie"]
        assert (
            "redirect_uri=https%3A%2F%2Fmfa.acme.example%2Fui%2Frealms%2Facme%2Fcallback"
            in (response.headers["Location"])
        )
    finally:
        close(harness)


def test_callback_with_a_wrong_or_missing_state_is_refused(ui: UiHarness) -> None:
    query = ui.start_login()
    for state in ("not-the-state", ""):
        response = ui.finish_login(query, state=state)
        assert response.status_code == 400
        assert "Signing in did not work" in response.get_data(as_text=True)
    assert not ui.tokens.calls  # the code was never exchanged
    assert ui.client.get(f"{UI}/employees").status_code == 303  # still not signed in


def test_callback_from_another_browser_is_refused(ui: UiHarness) -> None:
    query = ui.start_login()
    ui.client.delete_cookie(COOKIE_NAME, path="/ui")
    assert ui.finish_login(query).status_code == 400
    assert not ui.tokens.calls


def test_a_state_is_used_once_and_expires(ui: UiHarness) -> None:
    query = ui.start_login()
    assert ui.finish_login(query).status_code == 303
    assert ui.finish_login(query).status_code == 400  # replayed
    late = ui.start_login()
    ui.clock.advance(11 * 60)
    assert ui.finish_login(late).status_code == 400


def test_keycloak_error_and_refused_code(ui: UiHarness) -> None:
    denied = {"state": ui.start_login()["state"], "error": "access_denied"}
    response = ui.client.get(f"{UI}/callback", query_string=denied)
    assert response.status_code == 400
    query = ui.start_login()
    refused = ui.client.get(f"{UI}/callback", query_string={"state": query["state"], "code": "unknown"})
    assert refused.status_code == 400
    assert "Keycloak did not accept the sign-in" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "another-nonce"},
        {"aud": "another-client"},
        {"iss": f"{PUBLIC_URL}/realms/master"},
        {"typ": "Bearer"},
    ],
)
def test_an_id_token_that_does_not_fit_is_refused(ui: UiHarness, claims: dict) -> None:
    ui.tokens.id_claims = claims
    response = ui.finish_login(ui.start_login())
    assert response.status_code == 403
    assert "Traceback" not in response.get_data(as_text=True)
    assert ui.client.get(f"{UI}/employees").status_code == 303


def test_an_access_token_the_admin_api_refuses_is_refused_here(ui: UiHarness) -> None:
    ui.tokens.access_claims = {"azp": "some-other-client", "aud": ["account"]}
    assert ui.finish_login(ui.start_login()).status_code == 403
    ui.tokens.access_claims = {"sub": None}  # a lightweight token names no user
    assert ui.finish_login(ui.start_login()).status_code == 403


def test_keycloak_unreachable_at_the_callback(ui: UiHarness) -> None:
    ui.tokens.down = True
    response = ui.finish_login(ui.start_login())
    assert response.status_code == 502
    assert "Keycloak is unavailable" in response.get_data(as_text=True)


# --- the session over time ----------------------------------------------------------------------------------------


def test_the_access_token_is_refreshed_before_it_runs_out(ui: UiHarness) -> None:
    ui.sign_in()
    ui.clock.advance(280)  # 20 s of 300 left
    ui.page(f"{UI}/employees")
    assert [call["grant_type"] for call in ui.tokens.calls] == ["authorization_code", "refresh_token"]
    ui.page(f"{UI}/employees")
    assert len(ui.tokens.calls) == 2  # the new token is good for a while


def test_a_refused_refresh_sends_a_get_to_login_and_refuses_a_post(ui: UiHarness) -> None:
    ui.sign_in()
    overview = f"{UI}/employees/{USER_ID}/disable-mfa"
    action, token = form_of(ui.page(overview), "disable-mfa-form")
    ui.tokens.refusing = True
    ui.clock.advance(290)
    posted = ui.client.post(action, data={"csrf_token": token, "reason": "lost phone", "enrol_again": "on"})
    assert posted.status_code == 401
    assert "Nothing was changed" in posted.get_data(as_text=True)
    assert ui.keycloak.users[USER_ID]["totp"] is True and not ui.keycloak.writes()
    response = ui.client.get(f"{UI}/employees")
    assert response.status_code == 303 and response.headers["Location"].startswith(f"{UI}/login")


def test_idle_and_absolute_expiry(ui: UiHarness) -> None:
    ui.sign_in()
    ui.clock.advance(29 * 60)
    ui.page(f"{UI}/employees")  # a request moves the idle expiry on
    ui.clock.advance(31 * 60)
    expired = ui.client.get(f"{UI}/employees")
    assert expired.status_code == 303 and "/login" in expired.headers["Location"]
    assert not [row for row in session_rows(ui) if "tokens" in row["data"]]  # deleted on sight

    ui.sign_in()
    statuses = []
    for _ in range(17):  # a request every 29 minutes: never idle, but 8 hours at most
        ui.clock.advance(29 * 60)
        statuses.append(ui.client.get(f"{UI}/employees").status_code)
    assert statuses == [200] * 16 + [303]


def test_expired_sessions_are_deleted_when_a_session_starts(ui: UiHarness) -> None:
    ui.sign_in()
    ui.clock.advance(3600)
    ui.start_login()
    rows = session_rows(ui)
    assert len(rows) == 1 and "tokens" not in rows[0]["data"]


def test_a_session_belongs_to_its_realm(ui: UiHarness) -> None:
    ui.sign_in()
    response = ui.client.get("/ui/realms/other/employees")
    assert response.status_code == 303 and response.headers["Location"].startswith("/ui/realms/other/login")


# --- signing out --------------------------------------------------------------------------------------------------


def test_sign_out_ends_the_session_here_and_at_keycloak(ui: UiHarness) -> None:
    ui.sign_in()
    id_token = session_rows(ui)[0]["data"]["tokens"]["id_token"]
    response = ui.post_form(f"{UI}/employees", "sign-out", {})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{PUBLIC_URL}/realms/{REALM}/protocol/openid-connect/logout"
    )
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == [f"{SIDECAR_URL}/ui/realms/{REALM}/signed-out"]
    assert query["client_id"] == [CLIENT_ID]
    assert f"{COOKIE_NAME}=;" in response.headers["Set-Cookie"] and "Path=/ui" in response.headers["Set-Cookie"]
    assert session_rows(ui) == []
    assert ui.client.get(f"{UI}/employees").status_code == 303
    page = ui.page(f"{UI}/signed-out")
    assert 'id="sign-in-again"' in page and "Sign in again" in page


def test_sign_out_needs_the_csrf_token(ui: UiHarness) -> None:
    ui.sign_in()
    for data in ({}, {"csrf_token": "0" * 64}):
        response = ui.client.post(f"{UI}/logout", data=data)
        assert response.status_code == 403
        assert "Nothing was changed" in response.get_data(as_text=True)
    assert len(session_rows(ui)) == 1
    assert ui.client.get(f"{UI}/employees").status_code == 200


def test_ui_not_configured_says_so(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> None:
    from mfa_recovery.web.app import create_app

    from .fakes.keycloak import FakeDirectory
    from .fakes.smtp import FakeTransport

    app = create_app(
        Settings.from_env(
            {
                **DEV_ENV,
                "MFA_RECOVERY_ENV": "production",
                "MFA_RECOVERY_DATABASE_URL": settings.database_url,
                "MFA_RECOVERY_CODE_PEPPER": "p" * 32,
                "MFA_RECOVERY_AUDIT_KEY": "a" * 32,
                "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET": "k" * 32,
                "MFA_RECOVERY_NOTIFICATIONS": "off",
            }
        ),
        clock=clock,
        hasher=fast_hasher,
        directory=FakeDirectory(),
        transport=FakeTransport(),
    )
    try:
        response = app.test_client().get(f"{UI}/login")
        assert response.status_code == 503
        assert "MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET" in response.get_data(as_text=True)
    finally:
        app.extensions["mfa_recovery"].engine.dispose()
