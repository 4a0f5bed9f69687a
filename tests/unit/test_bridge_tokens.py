"""The check of bridge tokens: signed by the realm's own key, bound to one call, used once."""

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mfa_recovery.bridge_auth.tokens import (
    TOKEN_TYPE,
    BridgeClaims,
    BridgeKeysUnavailable,
    BridgeTokenVerifier,
    InvalidBridgeToken,
)
from mfa_recovery.keycloak.realm_keys import REFETCH_INTERVAL_SECONDS
from mfa_recovery.services import Services

from .fakes.bridge import KEYCLOAK_URL, OTHER_REALM, BridgeIssuer, hand_made
from .fakes.clock import FakeClock
from .support import REALM, USER_ID, rsa_key

PATH = "/bridge/v1/backup-codes/verify"
OLD_SHARED_SECRET = "dev-only-bridge-secret-change-me-0123456789"  # noqa: S105 - the public default of before


class MemoryGuard:
    def __init__(self) -> None:
        self.seen: dict[str, datetime] = {}

    def remember(self, jti: str, expires_at: datetime) -> bool:
        if jti in self.seen:
            return False
        self.seen[jti] = expires_at
        return True

    def used(self, jti: str) -> bool:
        return jti in self.seen


@pytest.fixture
def issuer(clock: FakeClock) -> BridgeIssuer:
    return BridgeIssuer(clock)


@pytest.fixture
def verifier(issuer: BridgeIssuer) -> BridgeTokenVerifier:
    return BridgeTokenVerifier(issuer.realm_keys(), MemoryGuard())


def check(verifier: BridgeTokenVerifier, token: str, clock: FakeClock, path: str = PATH, method: str = "POST"):
    return verifier.verify(token, method=method, path=path, now=clock())


def refused(verifier: BridgeTokenVerifier, token: str, clock: FakeClock, **kwargs: str) -> str:
    with pytest.raises(InvalidBridgeToken) as info:
        check(verifier, token, clock, **kwargs)
    return info.value.reason


def certs(realm: str) -> str:
    return f"{KEYCLOAK_URL}/realms/{realm}/protocol/openid-connect/certs"


# --- accepted -----------------------------------------------------------------------------------------------------


def test_valid_token(issuer: BridgeIssuer, clock: FakeClock) -> None:
    guard = MemoryGuard()
    verifier = BridgeTokenVerifier(issuer.realm_keys(), guard)
    claims = check(verifier, issuer.token(att="root.tab", jti="j-1"), clock)
    assert claims == BridgeClaims(realm=REALM, user_id=USER_ID, attempt="root.tab", jti="j-1")
    assert guard.seen["j-1"] > clock()
    assert issuer.fetches == [certs(REALM)]  # the keys of the realm the token names, from the internal URL


def test_each_realm_is_checked_with_its_own_keys(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    assert check(verifier, issuer.token(realm=OTHER_REALM), clock).realm == OTHER_REALM
    assert check(verifier, issuer.token(), clock).realm == REALM
    assert issuer.fetches == [certs(OTHER_REALM), certs(REALM)]


def test_keys_are_fetched_once_and_kept(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    for _ in range(3):
        check(verifier, issuer.token(), clock)
    assert issuer.fetches == [certs(REALM)]


def test_a_rotated_realm_key_is_picked_up(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    check(verifier, issuer.token(), clock)
    issuer.keys[REALM].insert(0, "acme-bridge-key-2")  # Keycloak made a new active key
    issuer.now += REFETCH_INTERVAL_SECONDS
    assert check(verifier, issuer.token(), clock).realm == REALM
    assert len(issuer.fetches) == 2


def test_other_asymmetric_algorithms_of_the_realm_are_accepted(
    issuer: BridgeIssuer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = issuer.fetch

    def fetch(url: str) -> dict[str, object]:
        jwk = {**published(url)["keys"][0]}
        del jwk["alg"]  # Keycloak's RSA key without alg serves RS256 and PS256 alike
        return {"keys": [jwk]}

    monkeypatch.setattr(issuer, "fetch", fetch)
    verifier = BridgeTokenVerifier(issuer.realm_keys(), MemoryGuard())
    assert check(verifier, issuer.token(algorithm="PS256"), clock)


# --- refused: the attacker's tokens ------------------------------------------------------------------------------


def test_a_token_signed_by_another_realms_key_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    """Realm B's administrator holds B's keys (or a B bridge): that must not open A's users."""
    assert "unknown key id" in refused(verifier, issuer.token(key="other-bridge-key", realm=REALM), clock)


def test_a_foreign_key_under_the_realms_kid_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    forged = jwt.encode(
        issuer.claims(PATH),
        rsa_key("attacker"),
        algorithm="RS256",
        headers={"kid": "acme-bridge-key", "typ": TOKEN_TYPE},
    )
    assert "Signature" in refused(verifier, forged, clock)


@pytest.mark.parametrize(
    "realm", ["nosuch/../acme", "..", ".", "acme%2f..%2fmaster", "a/b", "acme?x=1", "", "x" * 256, 7, None]
)
def test_a_realm_claim_that_is_not_a_realm_name_is_refused_before_any_fetch(
    issuer: BridgeIssuer, verifier, clock: FakeClock, realm: object
) -> None:
    token = issuer.token(realm=realm, key="acme-bridge-key")
    assert "realm" in refused(verifier, token, clock)
    assert issuer.fetches == []


def test_a_missing_realm_claim_is_refused_before_any_fetch(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    refused(verifier, issuer.token(drop=("realm",), key="acme-bridge-key"), clock)
    assert issuer.fetches == []


def test_a_realm_keycloak_does_not_know_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    assert "no JWKS" in refused(verifier, issuer.token(realm="ghost", key="acme-bridge-key"), clock)


def test_hs256_signed_with_the_realms_public_key_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    """The classic confusion: HMAC keyed with the public key, which anyone can download from the JWKS."""
    pem = (
        rsa_key("acme-bridge-key")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "kid": "acme-bridge-key", "typ": TOKEN_TYPE}
    token = hand_made(header, issuer.claims(PATH), lambda data: hmac.new(pem, data, hashlib.sha256).digest())
    assert "HS256" in refused(verifier, token, clock)
    assert issuer.fetches == []


def test_hs256_with_the_old_shared_secret_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    token = jwt.encode(issuer.claims(PATH), OLD_SHARED_SECRET, algorithm="HS256", headers={"typ": TOKEN_TYPE})
    assert "HS256" in refused(verifier, token, clock)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock, alg: str) -> None:
    header = {"alg": alg, "kid": "acme-bridge-key", "typ": TOKEN_TYPE}
    refused(verifier, hand_made(header, issuer.claims(PATH), lambda _: b""), clock)
    assert issuer.fetches == []


def test_es256_under_the_realms_rsa_kid_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    token = jwt.encode(
        issuer.claims(PATH),
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": "acme-bridge-key", "typ": TOKEN_TYPE},
    )
    assert "does not fit" in refused(verifier, token, clock)


@pytest.mark.parametrize("typ", ["JWT", "at+jwt", "MFA-RECOVERY-BRIDGE+JWT", "mfa-recovery-bridge"])
def test_another_typ_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock, typ: str) -> None:
    assert "typ" in refused(verifier, issuer.token(typ=typ), clock)


def test_no_typ_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    header = {"alg": "RS256", "kid": "acme-bridge-key"}
    signer = jwt.get_algorithm_by_name("RS256")
    token = hand_made(header, issuer.claims(PATH), lambda data: signer.sign(data, rsa_key("acme-bridge-key")))
    assert "typ" in refused(verifier, token, clock)


def test_an_unknown_kid_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    assert "unknown key id" in refused(verifier, issuer.token(key="never-published"), clock)


def test_no_kid_is_refused(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    token = jwt.encode(issuer.claims(PATH), rsa_key("acme-bridge-key"), algorithm="RS256", headers={"typ": TOKEN_TYPE})
    assert "key id" in refused(verifier, token, clock)


def test_replayed_jti(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    token = issuer.token()
    check(verifier, token, clock)
    assert refused(verifier, token, clock) == "jti replayed"


@pytest.mark.parametrize("jti", ["with space", "line\nbreak", "naïve", "tab\there"])
def test_a_jti_that_is_not_printable_ascii_is_refused(
    issuer: BridgeIssuer, verifier, clock: FakeClock, jti: str
) -> None:
    assert "jti" in refused(verifier, issuer.token(jti=jti), clock)


# --- refused: the claims ------------------------------------------------------------------------------------------


def test_expired(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    token = issuer.token()
    clock.advance(30 + 6)
    assert refused(verifier, token, clock) == "token expired"


def test_leeway_of_five_seconds(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    token = issuer.token()
    clock.advance(30 + 4)
    check(verifier, token, clock)


def test_issued_in_the_future(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    token = issuer.token()
    clock.advance(-10)
    assert refused(verifier, token, clock) == "token issued in the future"


def test_lifetime_over_60_seconds(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    check(verifier, issuer.token(lifetime=60), clock)
    assert "lifetime" in refused(verifier, issuer.token(lifetime=61), clock)
    assert "lifetime" in refused(verifier, issuer.token(lifetime=3600), clock)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "someone-else"), ("iss", "someone-else"), ("aud", ["mfa-recovery-sidecar", "x"])],
)
def test_wrong_audience_or_issuer(issuer: BridgeIssuer, verifier, clock: FakeClock, claim: str, value: Any) -> None:
    refused(verifier, issuer.token(**{claim: value}), clock)


def test_wrong_htu_or_htm(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    assert "htu" in refused(verifier, issuer.token("/bridge/v1/recovery/start"), clock)
    assert "htm" in refused(verifier, issuer.token(htm="GET"), clock)


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "att", "htm", "htu", "iat", "exp", "jti"])
def test_missing_claim(issuer: BridgeIssuer, verifier, clock: FakeClock, claim: str) -> None:
    assert claim in refused(verifier, issuer.token(drop=(claim,)), clock)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("sub", ""), ("jti", None), ("iat", "1"), ("att", 7), ("sub", "u\ud800"), ("sub", "u\x00"), ("att", "a\nb")],
)
def test_wrong_claim_types(issuer: BridgeIssuer, verifier, clock: FakeClock, claim: str, value: Any) -> None:
    refused(verifier, issuer.token(**{claim: value}), clock)


def test_garbage(verifier, clock: FakeClock) -> None:
    refused(verifier, "", clock)
    refused(verifier, "not.a.jwt", clock)
    refused(verifier, "eyJhbGciOiJSUzI1NiJ9.!!!.???", clock)
    refused(verifier, "x" * 5000, clock)


# --- Keycloak down ------------------------------------------------------------------------------------------------


def test_keycloak_down_before_any_key_is_known_is_unavailability(
    issuer: BridgeIssuer, verifier, clock: FakeClock
) -> None:
    issuer.down = True
    with pytest.raises(BridgeKeysUnavailable):
        check(verifier, issuer.token(), clock)


def test_known_keys_are_kept_while_keycloak_cannot_be_asked(issuer: BridgeIssuer, verifier, clock: FakeClock) -> None:
    check(verifier, issuer.token(), clock)
    issuer.down = True
    issuer.now += 3600
    assert check(verifier, issuer.token(), clock).realm == REALM


# --- the replay guard of the store --------------------------------------------------------------------------------


def test_store_replay_guard_is_shared_and_purged(services: Services, clock: FakeClock) -> None:
    guard = services.replay_guard
    expires = clock() + timedelta(seconds=40)
    assert guard.remember("jti-a", expires)
    assert not guard.remember("jti-a", expires)
    assert guard.purge_expired() == 0
    clock.advance(41)
    assert guard.purge_expired() == 1
    assert guard.remember("jti-a", clock() + timedelta(seconds=40))
