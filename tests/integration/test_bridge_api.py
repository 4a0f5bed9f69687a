"""The running sidecar takes bridge calls only with a token signed by the named realm's own key (its JWKS in the
real Keycloak) and refuses the forged, the expired, the replayed, the misdirected and the malformed.

To sign tokens as Keycloak would, the tests give a realm of their own an RSA key they hold (a key provider
component, as an administrator of that realm could add)."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

START = "/bridge/v1/recovery/start"
VERIFY = "/bridge/v1/backup-codes/verify"
TOKEN_TYPE = "mfa-recovery-bridge+jwt"


@pytest.fixture(scope="module")
def keyed_realm(master_admin):
    """A realm whose active signing key the tests hold: (realm name, kid, private key)."""
    name = f"keyed-{uuid.uuid4().hex[:6]}"
    master_admin.create_realm({"realm": name, "enabled": True})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    realm_id = master_admin.connection.raw_get(f"admin/realms/{name}").json()["id"]
    component = {
        "name": "tests-rsa",
        "providerId": "rsa",
        "providerType": "org.keycloak.keys.KeyProvider",
        "parentId": realm_id,
        "config": {"priority": ["1000"], "enabled": ["true"], "active": ["true"], "algorithm": ["RS256"],
                   "privateKey": [pem.decode()]},
    }  # fmt: skip
    response = master_admin.connection.raw_post(f"admin/realms/{name}/components", data=json.dumps(component))
    assert response.status_code == 201, response.text
    component_id = response.headers["Location"].rsplit("/", 1)[1]
    keys = master_admin.connection.raw_get(f"admin/realms/{name}/keys").json()["keys"]
    kid = next(k["kid"] for k in keys if k.get("providerId") == component_id and k.get("use") == "SIG")
    yield name, kid, key
    master_admin.delete_realm(name)


@pytest.fixture
def call(sidecar):
    def _call(path: str, token: str, body: dict | None = None) -> requests.Response:
        return requests.post(
            sidecar.bridge_url + path,
            json=body if body is not None else {},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    return _call


@pytest.fixture
def token(keyed_realm):
    realm_name, kid, key = keyed_realm

    def _token(
        path: str = START, *, issued: float | None = None, header: dict | None = None, signer=None, **claims
    ) -> str:
        now = int(issued if issued is not None else time.time())
        payload = {
            "iss": "mfa-recovery-bridge",
            "aud": "mfa-recovery-sidecar",
            "sub": str(uuid.uuid4()),
            "realm": realm_name,
            "att": f"{uuid.uuid4()}.tab",
            "htm": "POST",
            "htu": path,
            "iat": now,
            "exp": now + 30,
            "jti": str(uuid.uuid4()),
        }
        payload.update(claims)
        headers = {"kid": kid, "typ": TOKEN_TYPE, **(header or {})}
        return jwt.encode(payload, signer or key, algorithm="RS256", headers=headers)

    return _token


def test_a_token_signed_with_the_realms_key_is_accepted_and_the_answer_signed(call, token, stack_config):
    issued = token()
    response = call(START, issued)
    assert response.status_code == 200, response.text
    assert response.json() == {"methods": [], "backup_codes_remaining": 0, "email_hint": None}
    # The answer carries the sidecar's signature over this call's jti and the body.
    answer_key = load_pem_private_key(stack_config.answer_key_file.read_bytes(), password=None).public_key()
    assert isinstance(answer_key, Ed25519PublicKey)
    jti = jwt.decode(issued, options={"verify_signature": False})["jti"]
    signature = response.headers["MFA-Recovery-Signature"]
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    answer_key.verify(raw, b"mfa-recovery-answer/v1\n" + jti.encode() + b"\n" + response.content)


def test_a_token_signed_by_one_realm_claiming_another_is_refused(call, token):
    response = call(START, token(realm="acme"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("realm", ["nosuch/../acme", "..", "acme%2f..", "acme/"])
def test_a_realm_that_is_not_a_plain_name_is_refused(call, token, realm):
    assert call(START, token(realm=realm)).status_code == 401


def test_a_key_the_realm_does_not_have_is_refused(call, token):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert call(START, token(signer=stranger)).status_code == 401


def test_symmetric_and_unsigned_tokens_are_refused(call, token):
    claims = jwt.decode(token(), options={"verify_signature": False})
    shared_secret = jwt.encode(claims, "a-shared-bridge-secret-0123456789abcdef", algorithm="HS256")
    unsigned = jwt.encode(claims, "", algorithm="none")  # PyJWT takes "" as the missing key of alg "none"
    assert call(START, shared_secret).status_code == 401
    assert call(START, unsigned).status_code == 401


def test_a_token_of_another_type_is_refused(call, token):
    assert call(START, token(header={"typ": "JWT"})).status_code == 401


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


def test_the_bridge_api_answers_only_on_its_own_port(sidecar, token):
    response = requests.post(sidecar.url + START, json={}, headers={"Authorization": f"Bearer {token()}"}, timeout=10)
    assert response.status_code == 404


def test_malformed_json_is_a_clear_400(sidecar, token):
    response = requests.post(
        sidecar.bridge_url + VERIFY,
        data=b"{not json",
        headers={"Authorization": f"Bearer {token(VERIFY)}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
