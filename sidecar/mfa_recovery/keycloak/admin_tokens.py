"""Verifying an administrator's Keycloak access token (docs/architecture.md, "Admin API", Authentication).

The signature is checked with PyJWT against the issuing realm's JWKS, through the key cache shared with the other
token checks (:mod:`mfa_recovery.keycloak.realm_keys`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import jwt
from jwt import PyJWK

from ..admin.errors import InvalidToken, KeycloakUnavailable
from ..admin.identity import MASTER_REALM, Administrator
from .realm_keys import (
    ALGORITHMS,
    JwksFetcher,
    KeysUnavailable,
    NoSuchRealm,
    RealmKeyCache,
    UnusableKey,
    fetch_jwks,
    is_realm_name,
)

LEEWAY_SECONDS = 10


class AdminTokenVerifier:
    """Checks a bearer token for a call about ``realm``: issued by that realm or by ``master`` (``iss`` exactly
    ``{public_url}/realms/{realm}``), signed with an asymmetric algorithm by a key of the issuer's JWKS (fetched
    from the internal ``keycloak_url``, or held by ``keys`` when given), unexpired (10 s leeway), ``typ``
    ``Bearer``, and issued to one of ``clients`` (``azp``, or an ``aud`` entry)."""

    def __init__(
        self,
        keycloak_url: str,
        public_url: str,
        clients: Collection[str],
        *,
        fetch: JwksFetcher = fetch_jwks,
        monotonic: Callable[[], float] = time.monotonic,
        keys: RealmKeyCache | None = None,
    ) -> None:
        self._public_url = public_url.rstrip("/")
        self._clients = frozenset(clients)
        self._keys = keys or RealmKeyCache(keycloak_url, fetch=fetch, monotonic=monotonic)

    def issuer(self, realm: str) -> str:
        return f"{self._public_url}/realms/{realm}"

    def jwks_url(self, realm: str) -> str:
        return self._keys.jwks_url(realm)

    def issuer_realm(self, token: str) -> str | None:
        """The realm named by the (unverified) token's ``iss``, when it is one of this Keycloak's realms' issuer
        form; only to choose which realm's keys :meth:`verify` checks it with."""
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return None
        prefix = f"{self._public_url}/realms/"
        if not isinstance(issuer, str) or not issuer.startswith(prefix):
            return None
        realm = issuer[len(prefix) :]
        return realm if is_realm_name(realm) else None

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
            return self._keys.key(issuer_realm, kid, algorithm)
        except NoSuchRealm:
            raise InvalidToken(f"realm {issuer_realm!r} has no keys") from None
        except UnusableKey as exc:
            raise InvalidToken(str(exc)) from None
        except KeysUnavailable as exc:
            raise KeycloakUnavailable(str(exc)) from None

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
        email = claims.get("email")
        return Administrator(
            subject=subject,
            username=username if isinstance(username, str) and username else subject,
            realm=issuer_realm,
            token=token,
            realm_roles=_realm_roles(claims),
            email=email if isinstance(email, str) and email else None,
        )


def _realm_roles(claims: Mapping[str, Any]) -> frozenset[str]:
    """``realm_access.roles`` of the token: the realm roles of its user (composites expanded by Keycloak)."""
    access = claims.get("realm_access")
    roles = access.get("roles") if isinstance(access, dict) else None
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(role for role in roles if isinstance(role, str))
