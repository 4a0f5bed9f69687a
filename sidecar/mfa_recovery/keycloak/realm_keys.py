"""The signing keys of Keycloak realms, read from each realm's JWKS and cached: one place for every token the
sidecar checks against a realm's own keys (administrators' access tokens, ID tokens, bridge tokens).

The keys are cached here rather than in ``jwt.PyJWKClient``: that client fetches only through urllib and times its
cool-down on the process clock, while this cache takes the fetcher and the clock as arguments (tests use local
keys and move time), and it builds each key for the token's own algorithm only after checking that the algorithm
is asymmetric and fits the key.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
import requests
from jwt import PyJWK

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
REFETCH_INTERVAL_SECONDS = 60.0  # an unknown kid fetches the keys again at most this often
MAX_KEY_AGE_SECONDS = 300.0  # a key removed from the realm stops being trusted within this time
MAX_CACHED_REALMS = 256
FETCH_TIMEOUT_SECONDS = 10

# Realm names travel in Keycloak URLs; "." and ".." alone are refused so that no path could be read as a step up.
REALM_NAME = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9._-]{1,255}\Z")


def is_realm_name(value: object) -> bool:
    """Whether ``value`` may name a realm in a Keycloak URL (no ``/``, no ``%``, not ``.`` or ``..``)."""
    return isinstance(value, str) and REALM_NAME.match(value) is not None


class KeysUnavailable(Exception):
    """Keycloak could not give a realm's keys (unreachable, an error status, not a JWKS) and none are cached."""


class NoSuchRealm(Exception):
    """Keycloak has no such realm (its certs endpoint answered 404)."""


class UnusableKey(Exception):
    """No key of the realm can check this token: unknown ``kid``, or a key that does not fit the algorithm."""


JwksFetcher = Callable[[str], Mapping[str, Any]]
"""Fetch a JWKS document by URL. Raises :class:`NoSuchRealm` on 404 and :class:`KeysUnavailable` when Keycloak
cannot answer."""


def fetch_jwks(url: str) -> Mapping[str, Any]:
    """The default fetcher: a GET with a timeout, no redirects."""
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        raise KeysUnavailable(f"cannot fetch {url}: {type(exc).__name__}") from exc
    if response.status_code == 404:
        raise NoSuchRealm(f"no JWKS at {url}")
    if response.status_code != 200:
        raise KeysUnavailable(f"{url} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError as exc:
        raise KeysUnavailable(f"{url} did not answer JSON") from exc
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url} did not answer a JSON object")
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
        except (KeysUnavailable, NoSuchRealm):
            if self._keys is None:
                raise
            logger.warning("cannot refresh the keys from %s; keeping the ones fetched before", self._url)
            return
        keys = document.get("keys")
        if not isinstance(keys, list):
            if self._keys is None:
                raise KeysUnavailable(f"{self._url} holds no key list")
            return
        self._keys = {
            jwk["kid"]: jwk
            for jwk in keys
            if isinstance(jwk, dict) and isinstance(jwk.get("kid"), str) and jwk.get("use") in (None, "sig")
        }
        self._fetched_at = now


class RealmKeyCache:
    """The keys of every realm asked about, by realm name, from ``{keycloak_url}/realms/{realm}/protocol/
    openid-connect/certs``. A realm is remembered only once its keys could be read."""

    def __init__(
        self,
        keycloak_url: str,
        *,
        fetch: JwksFetcher = fetch_jwks,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keycloak_url = keycloak_url.rstrip("/")
        self._fetch = fetch
        self._monotonic = monotonic
        self._realms: dict[str, RealmKeys] = {}
        self._lock = threading.Lock()

    def jwks_url(self, realm: str) -> str:
        return f"{self._keycloak_url}/realms/{realm}/protocol/openid-connect/certs"

    def key(self, realm: str, kid: str, algorithm: str) -> PyJWK:
        """The key ``kid`` of ``realm``, usable for ``algorithm``. Raises :class:`UnusableKey` (also for a realm
        name that must not go into a URL), :class:`NoSuchRealm` or :class:`KeysUnavailable`."""
        if not is_realm_name(realm):
            raise UnusableKey(f"{realm!r} is not a realm name")
        if algorithm not in ALGORITHMS:
            raise UnusableKey(f"algorithm {algorithm!r} is not accepted")
        jwk = self._keys_of(realm).key(kid)
        if jwk is None:
            raise UnusableKey(f"unknown key id {kid!r}")
        if jwk.get("kty") != ALGORITHMS[algorithm] or jwk.get("alg") not in (None, algorithm):
            raise UnusableKey(f"key {kid!r} does not fit algorithm {algorithm}")
        try:
            return PyJWK(dict(jwk), algorithm=algorithm)
        except jwt.PyJWTError as exc:
            raise UnusableKey(f"unusable key {kid!r}: {exc}") from None

    def _keys_of(self, realm: str) -> RealmKeys:
        with self._lock:
            keys = self._realms.get(realm)
        if keys is not None:
            return keys
        keys = RealmKeys(self.jwks_url(realm), self._fetch, self._monotonic)
        keys.load()
        with self._lock:
            if len(self._realms) >= MAX_CACHED_REALMS:
                self._realms.pop(next(iter(self._realms)))
            return self._realms.setdefault(realm, keys)
