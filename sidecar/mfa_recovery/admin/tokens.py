"""Verifying an administrator's Keycloak access token (docs/architecture.md, "Admin API", Authentication).

The signature is checked with PyJWT against the issuing realm's JWKS. The keys are cached here rather than in
``jwt.PyJWKClient``: that client fetches only through urllib and times its cool-down on the process clock, while
this cache takes the fetcher and the clock as arguments (tests use local keys and move time), and it builds each
key for the token's own algorithm only after checking that the algorithm is asymmetric and fits the key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import jwt
import requests
from jwt import PyJWK

from .errors import InvalidToken, KeycloakUnavailable, NotFound
from .identity import MASTER_REALM, Administrator

logger = logging.getLogger(__name__)

# JWS algorithm → the JWK key type it needs. Never "none" nor HS*: a shared secret would let anyone who holds it
# (or, with the public key passed as a secret, anyone at all) mint tokens.
ALGORITHMS = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
}
LEEWAY_SECONDS = 10
REFETCH_INTERVAL_SECONDS = 60.0  # an unknown kid fetches the keys again at most this often
MAX_KEY_AGE_SECONDS = 300.0  # a key removed from the realm stops being trusted within this time
MAX_CACHED_REALMS = 256
FETCH_TIMEOUT_SECONDS = 10

JwksFetcher = Callable[[str], Mapping[str, Any]]
"""Fetch a JWKS document by URL. Raises :class:`NotFound` when there is no such realm and
:class:`KeycloakUnavailable` when Keycloak cannot answer."""


def fetch_jwks(url: str) -> Mapping[str, Any]:
    """The default fetcher: a GET with a timeout, no redirects."""
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        raise KeycloakUnavailable(f"cannot fetch {url}: {type(exc).__name__}") from exc
    if response.status_code == 404:
        raise NotFound(f"no JWKS at {url}")
    if response.status_code != 200:
        raise KeycloakUnavailable(f"{url} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError as exc:
        raise KeycloakUnavailable(f"{url} did not answer JSON") from exc
    if not isinstance(document, dict):
        raise KeycloakUnavailable(f"{url} did not answer a JSON object")
    return document


class RealmKeys:
    """The signing keys of one realm's JWKS, fetched again when a token names an unknown ``kid`` (at most once a
    :data:`REFETCH_INTERVAL_SECONDS`) or when they are older than :data:`MAX_KEY_AGE_SECONDS`."""

    def __init__(self, url: str, fetch: JwksFetcher, monotonic: Callable[[], float]) -> None:
        self._url = url
        self._fetch = fetch
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: dict[str, Mapping[str, Any]] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None

    def load(self) -> None:
        """Fetch the keys unless they are held already. Raises when they cannot be fetched."""
        with self._lock:
            if self._keys is None:
                self._refresh(self._monotonic())

    def key(self, kid: str) -> Mapping[str, Any] | None:
        """The JWK with this ``kid``, or None. Raises when the keys were never fetched and cannot be now."""
        with self._lock:
            now = self._monotonic()
            known = self._keys is not None and kid in self._keys
            stale = now - self._fetched_at >= MAX_KEY_AGE_SECONDS
            may_fetch = self._attempted_at is None or now - self._attempted_at >= REFETCH_INTERVAL_SECONDS
            if self._keys is None or ((stale or not known) and may_fetch):
                self._refresh(now)
            return (self._keys or {}).get(kid)

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            document = self._fetch(self._url)
        except (KeycloakUnavailable, NotFound):
            if self._keys is None:
                raise
            logger.warning("cannot refresh the keys from %s; keeping the ones fetched before", self._url)
            return
        keys = document.get("keys")
        if not isinstance(keys, list):
            if self._keys is None:
                raise KeycloakUnavailable(f"{self._url} holds no key list")
            return
        self._keys = {
            jwk["kid"]: jwk
            for jwk in keys
            if isinstance(jwk, dict) and isinstance(jwk.get("kid"), str) and jwk.get("use") in (None, "sig")
        }
        self._fetched_at = now


class AdminTokenVerifier:
    """Checks a bearer token for a call about ``realm``: issued by that realm or by ``master`` (``iss`` exactly
    ``{public_url}/realms/{realm}``), signed with an asymmetric algorithm by a key of the issuer's JWKS (fetched
    from the internal ``keycloak_url``), unexpired (10 s leeway), ``typ`` ``Bearer``, and issued to one of
    ``clients`` (``azp``, or an ``aud`` entry)."""

    def __init__(
        self,
        keycloak_url: str,
        public_url: str,
        clients: Collection[str],
        *,
        fetch: JwksFetcher = fetch_jwks,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keycloak_url = keycloak_url.rstrip("/")
        self._public_url = public_url.rstrip("/")
        self._clients = frozenset(clients)
        self._fetch = fetch
        self._monotonic = monotonic
        self._realms: dict[str, RealmKeys] = {}
        self._lock = threading.Lock()

    def issuer(self, realm: str) -> str:
        return f"{self._public_url}/realms/{realm}"

    def jwks_url(self, realm: str) -> str:
        return f"{self._keycloak_url}/realms/{realm}/protocol/openid-connect/certs"

    def verify(self, token: str, realm: str) -> Administrator:
        """The administrator holding ``token``. Raises :class:`InvalidToken` (which check failed is in its
        message, for the log) or :class:`KeycloakUnavailable` when the issuer's keys cannot be fetched."""
        if not token:
            raise InvalidToken("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
            raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no key id")
        issuers = {self.issuer(realm): realm, self.issuer(MASTER_REALM): MASTER_REALM}
        issuer = unverified.get("iss")
        issuer_realm = issuers.get(issuer) if isinstance(issuer, str) else None
        if issuer_realm is None:
            raise InvalidToken(f"issuer {issuer!r} is not accepted for realm {realm!r}")
        key = self._key(issuer_realm, kid, algorithm)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                issuer=self.issuer(issuer_realm),
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
        return self._administrator(claims, issuer_realm, token)

    def _key(self, issuer_realm: str, kid: str, algorithm: str) -> PyJWK:
        try:
            jwk = self._keys_of(issuer_realm).key(kid)
        except NotFound:
            raise InvalidToken(f"realm {issuer_realm!r} has no keys") from None
        if jwk is None:
            raise InvalidToken(f"unknown key id {kid!r}")
        if jwk.get("kty") != ALGORITHMS[algorithm] or jwk.get("alg") not in (None, algorithm):
            raise InvalidToken(f"key {kid!r} does not fit algorithm {algorithm}")
        try:
            return PyJWK(dict(jwk), algorithm=algorithm)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"unusable key {kid!r}: {exc}") from None

    def _keys_of(self, realm: str) -> RealmKeys:
        with self._lock:
            keys = self._realms.get(realm)
        if keys is not None:
            return keys
        keys = RealmKeys(self.jwks_url(realm), self._fetch, self._monotonic)
        keys.load()  # a realm is remembered only once its keys could be read
        with self._lock:
            if len(self._realms) >= MAX_CACHED_REALMS:
                self._realms.pop(next(iter(self._realms)))
            return self._realms.setdefault(realm, keys)

    def _administrator(self, claims: Mapping[str, Any], issuer_realm: str, token: str) -> Administrator:
        if claims.get("typ") != "Bearer":
            raise InvalidToken(f"typ {claims.get('typ')!r} is not Bearer")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        named = {name for name in (claims.get("azp"), *audiences) if isinstance(name, str)}
        if not named & self._clients:
            raise InvalidToken(f"client {claims.get('azp')!r} (audience {audience!r}) is not accepted")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            # Keycloak's lightweight access tokens (admin-cli, the admin console) leave out sub and the user's name.
            raise InvalidToken(
                "the token names no user (a lightweight access token?): use a client that issues full access tokens"
            )
        username = claims.get("preferred_username")
        return Administrator(
            subject=subject,
            username=username if isinstance(username, str) and username else subject,
            realm=issuer_realm,
            token=token,
        )
