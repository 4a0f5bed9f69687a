"""The check of administrators' Keycloak tokens: every way a token can be wrong, and key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mfa_recovery.admin.errors import InvalidToken, KeycloakUnavailable
from mfa_recovery.admin.identity import Administrator
from mfa_recovery.config import DEFAULT_ADMIN_CLIENTS, Settings
from mfa_recovery.keycloak.realm_keys import MAX_KEY_AGE_SECONDS
from mfa_recovery.services import admin_token_verifier

from .fakes.keycloak import ADMIN_ID, KEYCLOAK_URL, PUBLIC_URL, FakeIssuer
from .support import DEV_ENV, REALM, public_jwk, rsa_key


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


def master_certs() -> str:
    return f"{KEYCLOAK_URL}/realms/master/protocol/openid-connect/certs"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    """A compact JWS built by hand (PyJWT refuses to make the forgeries below)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# --- accepted -----------------------------------------------------------------------------------------------------


def test_a_master_administrator_is_accepted_for_any_realm(issuer: FakeIssuer) -> None:
    admin = issuer.verifier().verify(issuer.token("master", username="root"), REALM)
    assert admin == Administrator(subject=ADMIN_ID, username="root", realm="master", token=admin.token)
    assert admin.actor == "admin:master/root"
    assert issuer.fetches == [master_certs()]  # the keys come from the internal URL


def test_a_realm_administrator_is_accepted_for_their_own_realm(issuer: FakeIssuer) -> None:
    admin = issuer.verifier().verify(issuer.token(REALM, username="helpdesk"), REALM)
    assert (admin.realm, admin.actor) == (REALM, "admin:acme/helpdesk")


def test_the_client_may_be_named_by_the_audience(issuer: FakeIssuer) -> None:
    token = issuer.token(azp="some-spa", aud=["realm-management", "mfa-recovery-admin"])
    assert issuer.verifier().verify(token, REALM).username == "admin"
    assert issuer.verifier().verify(issuer.token(azp="some-spa", aud="mfa-recovery-admin"), REALM)


def test_ten_seconds_of_clock_skew_are_forgiven(issuer: FakeIssuer) -> None:
    assert issuer.verifier().verify(issuer.token(lifetime=-5), REALM)


def test_without_a_username_the_subject_names_the_administrator(issuer: FakeIssuer) -> None:
    admin = issuer.verifier().verify(issuer.token(drop=("preferred_username",)), REALM)
    assert admin.actor == f"admin:master/{ADMIN_ID}"


def test_keys_are_fetched_once_and_kept(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    for _ in range(3):
        verifier.verify(issuer.token(), REALM)
    assert issuer.fetches == [master_certs()]


# --- refused ------------------------------------------------------------------------------------------------------


def forged_signature(issuer: FakeIssuer) -> str:
    """Signed by another key under the kid of master's real one."""
    return jwt.encode(claims_of(issuer.token()), rsa_key("attacker"), algorithm="RS256", headers={"kid": "master-key"})


def alg_none(issuer: FakeIssuer) -> str:
    return hand_made({"alg": "none", "kid": "master-key", "typ": "JWT"}, claims_of(issuer.token()), lambda _: b"")


def hs256_with_the_public_key(issuer: FakeIssuer) -> str:
    """The classic confusion: HMAC keyed with the realm's public key, which anyone can download."""
    pem = (
        rsa_key("master-key")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "kid": "master-key", "typ": "JWT"}
    return hand_made(header, claims_of(issuer.token()), lambda data: hmac.new(pem, data, hashlib.sha256).digest())


def es256_under_an_rsa_kid(issuer: FakeIssuer) -> str:
    return jwt.encode(
        claims_of(issuer.token()),
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": "master-key"},
    )


REFUSED = {
    "empty": lambda issuer: "",
    "malformed": lambda issuer: "not-a-jwt",
    "garbage segments": lambda issuer: "eyJhbGciOiJSUzI1NiJ9.!!!.???",
    "expired": lambda issuer: issuer.token(lifetime=-60),
    "no expiry": lambda issuer: issuer.token(drop=("exp",)),
    "wrong issuer": lambda issuer: issuer.token(iss="https://evil.example/realms/master"),
    "internal issuer": lambda issuer: issuer.token(iss=f"{KEYCLOAK_URL}/realms/master"),
    "issuer with a trailing slash": lambda issuer: issuer.token(iss=f"{PUBLIC_URL}/realms/master/"),
    "another realm": lambda issuer: issuer.token("other"),
    "forged signature": forged_signature,
    "alg none": alg_none,
    "HS256 with the public key": hs256_with_the_public_key,
    "ES256 under an RSA key": es256_under_an_rsa_kid,
    "PS256 under an RS256 key": lambda issuer: issuer.token(algorithm="PS256"),
    "unknown kid": lambda issuer: issuer.token(key="never-published"),
    "no kid": lambda issuer: jwt.encode(claims_of(issuer.token()), rsa_key("master-key"), algorithm="RS256"),
    "encryption key": lambda issuer: issuer.token(key="enc-key"),
    "ID token": lambda issuer: issuer.token(typ="ID"),
    "refresh token": lambda issuer: issuer.token(typ="Refresh"),
    "wrong client": lambda issuer: issuer.token(azp="account-console", aud=["account"]),
    "no client": lambda issuer: issuer.token(drop=("azp", "aud")),
    "unhashable client": lambda issuer: issuer.token(azp={"x": 1}, aud=[["admin-cli"]]),
    "no subject": lambda issuer: issuer.token(drop=("sub",)),
    "not yet valid": lambda issuer: issuer.token(nbf=int(time.time()) + 600),
}


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_refused(issuer: FakeIssuer, make: Any) -> None:
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(make(issuer), REALM)


def test_a_token_of_another_realm_does_not_even_fetch_its_keys(issuer: FakeIssuer) -> None:
    with pytest.raises(InvalidToken, match="issuer"):
        issuer.verifier().verify(issuer.token("other"), REALM)
    assert issuer.fetches == []


def test_a_realm_keycloak_does_not_know_is_an_invalid_token(issuer: FakeIssuer) -> None:
    with pytest.raises(InvalidToken):
        issuer.verifier().verify(issuer.token("ghost"), "ghost")


def test_keycloak_down_before_any_key_is_known_is_unavailability(issuer: FakeIssuer) -> None:
    issuer.down = True
    with pytest.raises(KeycloakUnavailable):
        issuer.verifier().verify(issuer.token(), REALM)


# --- key rotation -------------------------------------------------------------------------------------------------


def test_a_rotated_key_is_fetched_at_most_once_a_minute(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    verifier.verify(issuer.token(), REALM)
    issuer.now += 61  # an unknown kid may fetch again
    with pytest.raises(InvalidToken, match="unknown key id"):
        verifier.verify(issuer.token(key="master-key-2"), REALM)
    assert len(issuer.fetches) == 2

    issuer.keys["master"].append("master-key-2")  # Keycloak rotates
    issuer.now += 30
    for _ in range(5):  # within the minute: no fetch, however many tokens name the new kid
        with pytest.raises(InvalidToken):
            verifier.verify(issuer.token(key="master-key-2"), REALM)
    assert len(issuer.fetches) == 2

    issuer.now += 31
    assert verifier.verify(issuer.token(key="master-key-2"), REALM).realm == "master"
    assert len(issuer.fetches) == 3
    assert verifier.verify(issuer.token(key="master-key"), REALM)  # the old key is still published


def test_a_key_removed_from_the_realm_stops_working(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    verifier.verify(issuer.token(), REALM)
    issuer.keys["master"] = ["master-key-2"]
    issuer.now += MAX_KEY_AGE_SECONDS
    with pytest.raises(InvalidToken, match="unknown key id"):
        verifier.verify(issuer.token(key="master-key"), REALM)


def test_known_keys_are_kept_while_keycloak_cannot_be_asked(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    verifier.verify(issuer.token(), REALM)
    issuer.down = True
    issuer.now += MAX_KEY_AGE_SECONDS
    assert verifier.verify(issuer.token(), REALM)


def test_a_key_without_alg_serves_the_token_algorithm_that_fits_it(
    issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fetch(url: str) -> dict[str, Any]:
        jwk = public_jwk("master-key")
        del jwk["alg"]
        return {"keys": [jwk]}

    monkeypatch.setattr(issuer, "fetch", fetch)
    assert issuer.verifier().verify(issuer.token(algorithm="PS256"), REALM)


# --- settings -----------------------------------------------------------------------------------------------------


def test_accepted_clients_and_the_issuer_come_from_the_settings() -> None:
    assert Settings.from_env(DEV_ENV).admin_clients == DEFAULT_ADMIN_CLIENTS
    settings = Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_ADMIN_CLIENTS": " ops-portal , admin-cli,,ops-portal",
            "MFA_RECOVERY_KEYCLOAK_URL": KEYCLOAK_URL,
            "MFA_RECOVERY_KEYCLOAK_PUBLIC_URL": PUBLIC_URL + "/",
        }
    )
    assert settings.admin_clients == ("ops-portal", "admin-cli")
    verifier = admin_token_verifier(settings)
    assert verifier.issuer("master") == f"{PUBLIC_URL}/realms/master"
    assert verifier.jwks_url(REALM) == f"{KEYCLOAK_URL}/realms/acme/protocol/openid-connect/certs"
    assert Settings.from_env({**DEV_ENV, "MFA_RECOVERY_KEYCLOAK_URL": KEYCLOAK_URL}).issuer_base_url == KEYCLOAK_URL
