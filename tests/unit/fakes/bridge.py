"""The one minting press of bridge tokens for the unit tests: Keycloak's realms with locally made RSA keys, their
JWKS endpoints (the fetcher the sidecar's key cache is given), and tokens signed as the Java bridge signs them."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import jwt

from mfa_recovery.bridge_auth.tokens import TOKEN_TYPE
from mfa_recovery.keycloak.realm_keys import RealmKeyCache

from ..support import REALM, USER_ID, rsa_key
from .keycloak import FakeJwks

KEYCLOAK_URL = "http://keycloak.bridge.test:8080"
OTHER_REALM = "other"
DEFAULT_PATH = "/bridge/v1/backup-codes/verify"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: Mapping[str, Any], claims: Mapping[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A compact JWS built by hand, for the forgeries PyJWT refuses to make (``alg: none``, HMAC with a PEM)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


class BridgeIssuer(FakeJwks):
    """Realms ``acme`` and ``other``, each with its own signing key; ``down`` makes Keycloak unreachable."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        super().__init__(KEYCLOAK_URL, {REALM: ["acme-bridge-key"], OTHER_REALM: ["other-bridge-key"]})
        self.clock = clock

    def realm_keys(self) -> RealmKeyCache:
        """The key cache the sidecar under test is given."""
        return RealmKeyCache(KEYCLOAK_URL, fetch=self.fetch, monotonic=self.monotonic)

    def claims(self, path: str = DEFAULT_PATH, *, lifetime: int = 30, **overrides: Any) -> dict[str, Any]:
        iat = int(self.clock().timestamp())
        claims: dict[str, Any] = {
            "iss": "mfa-recovery-bridge",
            "aud": "mfa-recovery-sidecar",
            "sub": USER_ID,
            "realm": REALM,
            "att": "root-session-id.tab-id",
            "htm": "POST",
            "htu": path,
            "iat": iat,
            "exp": iat + lifetime,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        return claims

    def token(
        self,
        path: str = DEFAULT_PATH,
        *,
        key: str | None = None,
        algorithm: str = "RS256",
        typ: str = TOKEN_TYPE,
        drop: tuple[str, ...] = (),
        lifetime: int = 30,
        **overrides: Any,
    ) -> str:
        """A bridge token for a call to ``path``, signed by ``key`` (default: the active key of the realm the
        claims name). Keyword arguments override claims, ``drop`` removes them."""
        claims = self.claims(path, lifetime=lifetime, **overrides)
        for name in drop:
            claims.pop(name)
        kid = key or self.active_key(claims.get("realm"))
        return jwt.encode(claims, rsa_key(kid), algorithm=algorithm, headers={"kid": kid, "typ": typ})

    def active_key(self, realm: object) -> str:
        return self.keys[realm][0] if isinstance(realm, str) and realm in self.keys else "stray-key"
