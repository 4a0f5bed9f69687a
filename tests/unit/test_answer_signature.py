"""Every 200 answer of the bridge API is signed with the sidecar's Ed25519 key over the token's jti and the body."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.bridge_auth.answers import (
    SIGNATURE_HEADER,
    public_key_text,
    sign_answer,
    signature_input,
    verify_answer,
)

from .fakes.bridge import BridgeIssuer
from .support import ANSWER_KEY, PROFILE

# A valid body for every bridge endpoint; the test below fails when an endpoint is added without one here.
BODIES: dict[str, dict[str, Any]] = {
    "/bridge/v1/recovery/start": {},
    "/bridge/v1/backup-codes/verify": {"code": "7KQM-2XHR-9T"},
    "/bridge/v1/backup-codes/setup": {"reason": "user_request"},
    "/bridge/v1/backup-codes/confirm": {"set_id": "no-such-set"},
    "/bridge/v1/email-code/send": {"profile": PROFILE},
    "/bridge/v1/email-code/verify": {"code": "12345678", "profile": PROFILE},
    "/bridge/v1/backup-email/start": {"address": "nina@example.net", "profile": PROFILE},
    "/bridge/v1/backup-email/verify": {"code": "1", "profile": PROFILE},
    "/bridge/v1/supervisor": {},
    "/bridge/v1/supervisor/notify": {"profile": PROFILE},
}


def public_key_as_keycloak_reads_it() -> Ed25519PublicKey:
    """The printed public key, decoded the way the bridge does (base64 of DER SubjectPublicKeyInfo)."""
    key = serialization.load_der_public_key(base64.b64decode(public_key_text(ANSWER_KEY), validate=True))
    assert isinstance(key, Ed25519PublicKey)
    return key


def post(client: FlaskClient, issuer: BridgeIssuer, path: str, body: object, jti: str) -> Any:
    token = issuer.token(path, jti=jti)
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_every_bridge_endpoint_is_covered(app: Flask) -> None:
    bridge_routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/bridge/")}
    assert bridge_routes == set(BODIES)


@pytest.mark.parametrize("path", BODIES)
def test_every_200_answer_is_signed_for_the_calls_jti(
    client: FlaskClient, bridge_issuer: BridgeIssuer, path: str
) -> None:
    jti = f"jti-{path.rsplit('/', 1)[-1]}"
    response = post(client, bridge_issuer, path, BODIES[path], jti)
    assert response.status_code == 200, response.json
    signature = response.headers[SIGNATURE_HEADER]
    body = response.get_data()
    public_key = public_key_as_keycloak_reads_it()
    assert verify_answer(public_key, jti, body, signature)
    assert "=" not in signature and len(base64.urlsafe_b64decode(signature + "==")) == 64
    # What the bridge checks, spelled out: Ed25519 over the context line, the jti line and the body.
    public_key.verify(
        base64.urlsafe_b64decode(signature + "=="), b"mfa-recovery-answer/v1\n" + jti.encode() + b"\n" + body
    )


def test_a_signature_does_not_fit_another_jti_or_a_changed_body(
    client: FlaskClient, bridge_issuer: BridgeIssuer
) -> None:
    path = "/bridge/v1/recovery/start"
    response = post(client, bridge_issuer, path, {}, "the-jti")
    signature, body = response.headers[SIGNATURE_HEADER], response.get_data()
    public_key = public_key_as_keycloak_reads_it()
    assert verify_answer(public_key, "the-jti", body, signature)
    assert not verify_answer(public_key, "another-jti", body, signature)
    assert not verify_answer(public_key, "the-jti", body.replace(b"[]", b'["backup_code"]'), signature)
    assert not verify_answer(public_key, "the-jti", body + b" ", signature)
    assert not verify_answer(Ed25519PrivateKey.generate().public_key(), "the-jti", body, signature)


def test_the_same_body_for_another_call_gets_another_signature(
    client: FlaskClient, bridge_issuer: BridgeIssuer
) -> None:
    path = "/bridge/v1/recovery/start"
    first = post(client, bridge_issuer, path, {}, "call-1")
    second = post(client, bridge_issuer, path, {}, "call-2")
    assert first.get_data() == second.get_data()
    assert first.headers[SIGNATURE_HEADER] != second.headers[SIGNATURE_HEADER]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [({}, {}, 401), (None, {"code": 7}, 400)],
    ids=["no token", "bad request"],
)
def test_answers_other_than_200_are_not_signed(
    client: FlaskClient,
    bridge_issuer: BridgeIssuer,
    headers: dict[str, str] | None,
    body: object,
    status: int,
) -> None:
    path = "/bridge/v1/backup-codes/verify"
    if headers is None:
        headers = {"Authorization": f"Bearer {bridge_issuer.token(path)}"}
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status
    assert SIGNATURE_HEADER not in response.headers


def test_health_and_other_answers_are_not_signed(client: FlaskClient) -> None:
    assert SIGNATURE_HEADER not in client.get("/healthz").headers
    assert SIGNATURE_HEADER not in client.get("/admin/v1/openapi.json").headers


def test_signature_input_is_exactly_the_documented_bytes() -> None:
    assert signature_input("abc", b'{"x":1}\n') == b'mfa-recovery-answer/v1\nabc\n{"x":1}\n'
    with pytest.raises(UnicodeEncodeError):
        signature_input("naïve", b"")


def test_sign_answer_is_ed25519_base64url_without_padding() -> None:
    value = sign_answer(ANSWER_KEY, "j", b"body")
    assert len(value) == 86 and set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_call_fixture_answers_are_signed_too(call: Callable[..., Any]) -> None:
    assert SIGNATURE_HEADER in call("/bridge/v1/recovery/start", {}).headers
