"""The running sidecar refuses bridge calls that are forged, expired, replayed or aimed at another endpoint."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
import requests

START = "/bridge/v1/recovery/start"
VERIFY = "/bridge/v1/backup-codes/verify"


@pytest.fixture
def call(sidecar, stack_config):
    def _call(path: str, token: str, body: dict | None = None) -> requests.Response:
        return requests.post(
            stack_config.sidecar_url + path,
            json=body if body is not None else {},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    return _call


@pytest.fixture
def token(stack_config):
    def _token(path: str = START, *, secret: str | None = None, issued: float | None = None, **claims) -> str:
        now = int(issued if issued is not None else time.time())
        payload = {
            "iss": "mfa-recovery-bridge",
            "aud": "mfa-recovery-sidecar",
            "sub": str(uuid.uuid4()),
            "realm": "acme",
            "att": f"{uuid.uuid4()}.tab",
            "htm": "POST",
            "htu": path,
            "iat": now,
            "exp": now + 30,
            "jti": str(uuid.uuid4()),
        }
        payload.update(claims)
        return jwt.encode(payload, secret or stack_config.bridge_secret, algorithm="HS256")

    return _token


def test_valid_token_is_accepted(call, token):
    response = call(START, token())
    assert response.status_code == 200
    assert response.json() == {"methods": [], "backup_codes_remaining": 0, "email_hint": None}


def test_forged_signature_is_refused(call, token):
    response = call(START, token(secret="not-the-bridge-secret-0123456789abcdef"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_unsigned_token_is_refused(call, token):
    claims = jwt.decode(token(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert call(START, unsigned).status_code == 401


def test_expired_token_is_refused(call, token):
    assert call(START, token(issued=time.time() - 120)).status_code == 401


def test_replayed_token_is_refused(call, token):
    once = token()
    assert call(START, once).status_code == 200
    replay = call(START, once)
    assert replay.status_code == 401
    assert "Traceback" not in replay.text


def test_token_for_one_endpoint_does_not_open_another(call, token):
    assert call(VERIFY, token(START), {"code": "AAAA-BBBB-CC"}).status_code == 401


def test_malformed_json_is_a_clear_400(sidecar, stack_config, token):
    response = requests.post(
        stack_config.sidecar_url + VERIFY,
        data=b"{not json",
        headers={"Authorization": f"Bearer {token(VERIFY)}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
