"""Verification of bridge tokens: short-lived HS256 JWTs bound to one call, one realm and one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt

ISSUER = "mfa-recovery-bridge"
AUDIENCE = "mfa-recovery-sidecar"
ALGORITHMS = ["HS256"]
LEEWAY_SECONDS = 5
MAX_LIFETIME_SECONDS = 60
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ("iss", "aud", "sub", "realm", "att", "htm", "htu", "iat", "exp", "jti")
_STRING_CLAIMS = ("sub", "realm", "att", "htm", "htu", "jti")
_MAX_CLAIM_LENGTH = 255


class InvalidBridgeToken(Exception):
    """The token is not acceptable. ``reason`` is for logs and the audit trail, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplayGuard(Protocol):
    def remember(self, jti: str, expires_at: datetime) -> bool:
        """Record ``jti`` until ``expires_at``; False if it was already recorded (a replay)."""


@dataclass(frozen=True)
class BridgeClaims:
    realm: str
    user_id: str
    attempt: str
    jti: str


def _int_claim(claims: dict[str, Any], name: str) -> int:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBridgeToken(f"claim {name} is not an integer")
    return value


def verify_bridge_token(
    token: str,
    *,
    secret: str,
    method: str,
    path: str,
    replay_guard: ReplayGuard,
    now: datetime,
) -> BridgeClaims:
    """Check a bridge token against the request it arrived with; record its ``jti``.

    Raises :class:`InvalidBridgeToken` on any failure.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidBridgeToken("missing or oversized token")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=ALGORITHMS,
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

    if isinstance(claims.get("aud"), list):
        # The contract names exactly one audience.
        raise InvalidBridgeToken("aud must be a single string")
    for name in _STRING_CLAIMS:
        value = claims[name]
        if not isinstance(value, str) or not value or len(value) > _MAX_CLAIM_LENGTH:
            raise InvalidBridgeToken(f"claim {name} is not a non-empty string")

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

    # Keep the jti for as long as the token could still be accepted.
    keep_until = datetime.fromtimestamp(exp + LEEWAY_SECONDS, tz=UTC) + timedelta(seconds=1)
    if not replay_guard.remember(claims["jti"], keep_until):
        raise InvalidBridgeToken("jti replayed")

    return BridgeClaims(realm=claims["realm"], user_id=claims["sub"], attempt=claims["att"], jti=claims["jti"])
