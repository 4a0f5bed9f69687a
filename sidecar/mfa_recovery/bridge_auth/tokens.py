"""Verification of bridge tokens: short-lived JWTs bound to one call, one realm and one user, signed by Keycloak
with the active signing key of that realm (docs/architecture.md, "The bridge token")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt
from jwt import PyJWK

from .. import plain_text
from ..keycloak.realm_keys import ALGORITHMS, KeysUnavailable, NoSuchRealm, RealmKeyCache, UnusableKey, is_realm_name

ISSUER = "mfa-recovery-bridge"
AUDIENCE = "mfa-recovery-sidecar"
TOKEN_TYPE = "mfa-recovery-bridge+jwt"  # noqa: S105 - the JOSE header typ, not a secret
LEEWAY_SECONDS = 5
MAX_LIFETIME_SECONDS = 60
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ("iss", "aud", "sub", "realm", "att", "htm", "htu", "iat", "exp", "jti")
_STRING_CLAIMS = ("sub", "realm", "att", "htm", "htu", "jti")
_MAX_CLAIM_LENGTH = 255
# The jti goes into the signature input of the answer, between newlines: printable ASCII only keeps that unambiguous.
JTI = re.compile(r"[\x21-\x7e]{1,255}\Z")


class InvalidBridgeToken(Exception):
    """The token is not acceptable. ``reason`` is for logs and the audit trail, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BridgeKeysUnavailable(Exception):
    """The realm's keys cannot be read from Keycloak now (and none are cached): the token cannot be checked."""


class ReplayGuard(Protocol):
    def remember(self, jti: str, expires_at: datetime) -> bool:
        """Record ``jti`` until ``expires_at``; False if it was already recorded (a replay)."""

    def used(self, jti: str) -> bool:
        """Whether ``jti`` is recorded already; only :meth:`remember` decides a race."""


@dataclass(frozen=True)
class BridgeClaims:
    realm: str
    user_id: str
    attempt: str
    jti: str


@dataclass(frozen=True)
class TokenUse:
    """What recording a checked token means: its ``jti``, kept until ``keep_until`` (while it could be accepted)."""

    jti: str
    keep_until: datetime


def _int_claim(claims: dict[str, Any], name: str) -> int:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBridgeToken(f"claim {name} is not an integer")
    return value


class BridgeTokenVerifier:
    """Checks bridge tokens against the keys of the realm they name (``keys``) and records their ``jti`` in
    ``replay_guard``."""

    def __init__(self, keys: RealmKeyCache, replay_guard: ReplayGuard) -> None:
        self._keys = keys
        self._replay_guard = replay_guard

    def verify(self, token: str, *, method: str, path: str, now: datetime) -> BridgeClaims:
        """Check a bridge token against the request it arrived with; record its ``jti``.

        Raises :class:`InvalidBridgeToken` on any failure, :class:`BridgeKeysUnavailable` when the realm's keys
        cannot be fetched.
        """
        claims, use = self.check(token, method=method, path=path, now=now)
        self.record(use)
        return claims

    def check(self, token: str, *, method: str, path: str, now: datetime) -> tuple[BridgeClaims, TokenUse]:
        """:meth:`verify` without recording the ``jti`` (a token already recorded is refused all the same): the
        caller records the :class:`TokenUse`, with :meth:`record` or in its own transaction."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidBridgeToken("missing or oversized token")
        key, algorithm = self._signing_key(token)
        claims = _verified_claims(token, key, algorithm)
        _check_claims(claims, method=method, path=path, now=now)
        if self._replay_guard.used(claims["jti"]):
            raise InvalidBridgeToken("jti replayed")
        # Keep the jti for as long as the token could still be accepted.
        keep_until = datetime.fromtimestamp(claims["exp"] + LEEWAY_SECONDS, tz=UTC) + timedelta(seconds=1)
        verified = BridgeClaims(realm=claims["realm"], user_id=claims["sub"], attempt=claims["att"], jti=claims["jti"])
        return verified, TokenUse(claims["jti"], keep_until)

    def record(self, use: TokenUse) -> None:
        """Use the token up; :class:`InvalidBridgeToken` when it was used already (a replay)."""
        if not self._replay_guard.remember(use.jti, use.keep_until):
            raise InvalidBridgeToken("jti replayed")

    def _signing_key(self, token: str) -> tuple[PyJWK, str]:
        """The key of the realm the token names, for the algorithm and key id of its header. The realm name is
        checked before anything is fetched: it goes into a URL."""
        try:
            unverified_token = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvalidBridgeToken(f"malformed token: {type(exc).__name__}") from None
        header, unverified = unverified_token["header"], unverified_token["payload"]
        algorithm, kid = header.get("alg"), header.get("kid")
        if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
            raise InvalidBridgeToken(f"algorithm {algorithm!r} is not accepted")
        if header.get("typ") != TOKEN_TYPE:
            raise InvalidBridgeToken(f"typ {header.get('typ')!r} is not {TOKEN_TYPE}")
        if not isinstance(kid, str) or not kid or len(kid) > _MAX_CLAIM_LENGTH:
            raise InvalidBridgeToken("no key id")
        realm = unverified.get("realm")
        if not isinstance(realm, str) or not is_realm_name(realm):
            raise InvalidBridgeToken(f"realm {str(realm)[:_MAX_CLAIM_LENGTH]!r} is not a realm name")
        try:
            return self._keys.key(realm, kid, algorithm), algorithm
        except (UnusableKey, NoSuchRealm) as exc:
            raise InvalidBridgeToken(f"realm {realm!r}: {exc}") from None
        except KeysUnavailable as exc:
            raise BridgeKeysUnavailable(str(exc)) from None


def _verified_claims(token: str, key: PyJWK, algorithm: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=AUDIENCE,
            issuer=ISSUER,
            # Time claims are checked below against the injected clock.
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidBridgeToken(f"missing claim {exc.claim}") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidBridgeToken(f"{type(exc).__name__}: {exc}") from exc
    return claims


def _check_claims(claims: dict[str, Any], *, method: str, path: str, now: datetime) -> None:
    if isinstance(claims.get("aud"), list):
        # The contract names exactly one audience.
        raise InvalidBridgeToken("aud must be a single string")
    for name in _STRING_CLAIMS:
        value = claims[name]
        if not isinstance(value, str) or not value or len(value) > _MAX_CLAIM_LENGTH:
            raise InvalidBridgeToken(f"claim {name} is not a non-empty string")
        if not plain_text.is_one_line(value):  # user and attempt are stored and audited as they are
            raise InvalidBridgeToken(f"claim {name} is not one line of text")
    if not JTI.match(claims["jti"]):
        raise InvalidBridgeToken("claim jti is not printable ASCII")

    iat = _int_claim(claims, "iat")
    exp = _int_claim(claims, "exp")
    now_ts = now.timestamp()
    if exp - iat > MAX_LIFETIME_SECONDS:
        raise InvalidBridgeToken(f"lifetime {exp - iat}s exceeds {MAX_LIFETIME_SECONDS}s")
    if exp <= iat:
        raise InvalidBridgeToken("exp is not after iat")
    if now_ts > exp + LEEWAY_SECONDS:
        raise InvalidBridgeToken("token expired")
    if iat > now_ts + LEEWAY_SECONDS:
        raise InvalidBridgeToken("token issued in the future")
    if "nbf" in claims and _int_claim(claims, "nbf") > now_ts + LEEWAY_SECONDS:
        raise InvalidBridgeToken("token not yet valid")

    if claims["htm"] != method:
        raise InvalidBridgeToken(f"htm {claims['htm']!r} does not match {method!r}")
    if claims["htu"] != path:
        raise InvalidBridgeToken(f"htu {claims['htu']!r} does not match {path!r}")
