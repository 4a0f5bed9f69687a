"""Signing administrators in with Keycloak: OpenID Connect authorization code flow with PKCE (S256) for the
confidential client ``mfa-recovery-admin`` of the realm.

The browser goes to Keycloak's public URL (``MFA_RECOVERY_KEYCLOAK_PUBLIC_URL``); the sidecar exchanges the code and
refreshes tokens at the internal one (``MFA_RECOVERY_KEYCLOAK_URL``) with the client secret. The ID token is
checked with the same JWKS key handling as the admin API's access tokens (:mod:`.realm_keys`); the access token is
then checked by the admin API's own verifier (:mod:`.admin_tokens`), so the UI accepts exactly what the API accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

from ..admin.errors import InvalidToken, KeycloakUnavailable
from .admin_tokens import LEEWAY_SECONDS, AdminTokenVerifier
from .realm_keys import ALGORITHMS, JwksFetcher, fetch_jwks

TIMEOUT_SECONDS = 10
MAX_ERROR_SHOWN = 200

TokenPost = Callable[[str, Mapping[str, str]], Mapping[str, Any]]
"""POST a form to Keycloak's token endpoint and return its JSON answer. Raises :class:`TokenRefused` when Keycloak
refuses the grant (HTTP 400 or 401) and :class:`KeycloakUnavailable` when it cannot answer."""


class TokenRefused(Exception):
    """Keycloak refused a code or a refresh token (``invalid_grant`` and the like): the administrator must sign in
    again. ``str(exc)`` is Keycloak's error code, for the log."""


def post_form(url: str, form: Mapping[str, str]) -> Mapping[str, Any]:
    """The default :data:`TokenPost`: a POST with a timeout, no redirects."""
    try:
        response = requests.post(
            url, data=dict(form), headers={"Accept": "application/json"}, timeout=TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise KeycloakUnavailable(f"POST {url}: {type(exc).__name__}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code in (400, 401):
        raise TokenRefused(str(answer.get("error") if isinstance(answer, dict) else f"HTTP {response.status_code}"))
    if response.status_code != 200 or not isinstance(answer, dict):
        raise KeycloakUnavailable(f"POST {url}: HTTP {response.status_code} {response.text[:MAX_ERROR_SHOWN]!r}")
    return answer


def random_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class LoginRequest:
    """What the sidecar keeps of a sign-in under way (in the server-side session), and where the browser goes."""

    state: str
    nonce: str
    verifier: str
    url: str


@dataclass(frozen=True)
class Tokens:
    """What Keycloak's token endpoint gave, with the moments (on the sidecar's clock) the tokens run out."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str | None
    refresh_expires_at: datetime | None  # None: Keycloak named no lifetime (e.g. an offline token)
    id_token: str | None

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any], now: datetime, previous: Tokens | None = None) -> Tokens:
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise KeycloakUnavailable("the token endpoint gave no access token")
        refresh = answer.get("refresh_token")
        id_token = answer.get("id_token")
        return cls(
            access_token=access,
            access_expires_at=now + timedelta(seconds=_seconds(answer.get("expires_in"), 60)),
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            refresh_expires_at=_expiry(answer.get("refresh_expires_in"), now),
            id_token=id_token if isinstance(id_token, str) and id_token else (previous.id_token if previous else None),
        )

    def as_data(self) -> dict[str, Any]:
        """JSON-ready, for the session."""
        return {
            "access_token": self.access_token,
            "access_expires_at": self.access_expires_at.isoformat(),
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at.isoformat() if self.refresh_expires_at else None,
            "id_token": self.id_token,
        }

    @classmethod
    def from_data(cls, data: Any) -> Tokens | None:
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            return None
        refresh_expires_at = data.get("refresh_expires_at")
        return cls(
            access_token=data["access_token"],
            access_expires_at=datetime.fromisoformat(data["access_expires_at"]),
            refresh_token=data.get("refresh_token"),
            refresh_expires_at=datetime.fromisoformat(refresh_expires_at) if refresh_expires_at else None,
            id_token=data.get("id_token"),
        )


def _seconds(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _expiry(lifetime: Any, now: datetime) -> datetime | None:
    seconds = _seconds(lifetime, 0)
    return now + timedelta(seconds=seconds) if seconds > 0 else None


class IdTokenVerifier(AdminTokenVerifier):
    """ID tokens of the UI's client, with the admin API's key cache and algorithm rules: signed by the realm
    (never ``master``: the administrator signs in at the realm), ``aud`` the client, ``typ`` ``ID``, the nonce
    of the sign-in."""

    def __init__(self, keycloak_url: str, public_url: str, client_id: str, **kwargs: Any) -> None:
        super().__init__(keycloak_url, public_url, (client_id,), **kwargs)
        self._client_id = client_id

    def id_claims(self, token: str, realm: str, nonce: str) -> dict[str, Any]:
        """The claims of a valid ID token. Raises :class:`InvalidToken` (the message says which check failed)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed ID token: {exc}") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS or not isinstance(kid, str) or not kid:
            raise InvalidToken(f"ID token algorithm {algorithm!r} or key id {kid!r} is not accepted")
        key = self._key(realm, kid, algorithm)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                issuer=self.issuer(realm),
                audience=self._client_id,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"ID token {type(exc).__name__}: {exc}") from None
        if claims.get("typ") not in (None, "ID"):
            raise InvalidToken(f"ID token typ {claims.get('typ')!r}")
        if claims.get("azp") not in (None, self._client_id):
            raise InvalidToken(f"ID token issued to {claims.get('azp')!r}")
        if not hmac.compare_digest(str(claims.get("nonce") or ""), nonce):
            raise InvalidToken("ID token nonce does not match the sign-in")
        return claims


class OidcClient:
    """Keycloak's OpenID Connect endpoints of a realm, for the UI's client. ``post`` (the token endpoint),
    ``fetch`` (JWKS) and ``monotonic`` (the key cache's clock) are replaceable for tests."""

    def __init__(
        self,
        keycloak_url: str,
        keycloak_public_url: str,
        public_url: str,
        client_id: str,
        client_secret: str,
        *,
        post: TokenPost = post_form,
        fetch: JwksFetcher = fetch_jwks,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keycloak_url = keycloak_url.rstrip("/")
        self._keycloak_public_url = keycloak_public_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._post = post
        self._id_tokens = IdTokenVerifier(
            keycloak_url, keycloak_public_url, client_id, fetch=fetch, monotonic=monotonic
        )

    def redirect_uri(self, realm: str) -> str:
        """Where Keycloak sends the browser back: registered as a redirect URI of the client."""
        return f"{self.public_url}/ui/realms/{realm}/callback"

    def signed_out_uri(self, realm: str) -> str:
        """Where Keycloak sends the browser after signing out: a post-logout redirect URI of the client."""
        return f"{self.public_url}/ui/realms/{realm}/signed-out"

    def _endpoint(self, base: str, realm: str, name: str) -> str:
        return f"{base}/realms/{realm}/protocol/openid-connect/{name}"

    def start(self, realm: str, language: str) -> LoginRequest:
        """A new sign-in: fresh state, nonce and PKCE verifier, and the URL of Keycloak's authorization endpoint."""
        state, nonce, verifier = random_token(), random_token(), secrets.token_urlsafe(64)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri(realm),
            "scope": "openid",
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            "ui_locales": language,
        }
        url = f"{self._endpoint(self._keycloak_public_url, realm, 'auth')}?{urlencode(query)}"
        return LoginRequest(state=state, nonce=nonce, verifier=verifier, url=url)

    def exchange(self, realm: str, code: str, verifier: str, now: datetime) -> Tokens:
        """Trade the authorization code for tokens."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri(realm),
            "code_verifier": verifier,
        }
        return Tokens.from_answer(self._token_call(realm, form), now)

    def refresh(self, realm: str, tokens: Tokens, now: datetime) -> Tokens:
        """New tokens for the refresh token (the ID token is kept when Keycloak sends no new one)."""
        if not tokens.refresh_token:
            raise TokenRefused("no refresh token")
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        return Tokens.from_answer(self._token_call(realm, form), now, tokens)

    def _token_call(self, realm: str, form: Mapping[str, str]) -> Mapping[str, Any]:
        credentials = {"client_id": self.client_id, "client_secret": self._client_secret}
        return self._post(self._endpoint(self._keycloak_url, realm, "token"), {**form, **credentials})

    def id_claims(self, realm: str, id_token: str | None, nonce: str) -> dict[str, Any]:
        if not id_token:
            raise InvalidToken("the token endpoint gave no ID token")
        return self._id_tokens.id_claims(id_token, realm, nonce)

    def end_session_url(self, realm: str, id_token: str | None) -> str:
        """Keycloak's end-session endpoint, back to the signed-out page afterwards."""
        query = {"client_id": self.client_id, "post_logout_redirect_uri": self.signed_out_uri(realm)}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{self._endpoint(self._keycloak_public_url, realm, 'logout')}?{urlencode(query)}"
