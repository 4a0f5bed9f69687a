"""Constants and helpers shared by the unit tests."""

from __future__ import annotations

import functools
import re
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.test import TestResponse

from mfa_recovery.bridge_auth.answers import new_private_key_pem
from mfa_recovery.directory import DirectoryUser
from mfa_recovery.services import Services

PEPPER = "unit-test-pepper-0123456789abcdef0123456"
# The sidecar's answer signing key for the whole test session, and the environment every unit test's settings
# start from: development is named explicitly (unset means production).
ANSWER_KEY, ANSWER_KEY_PEM = new_private_key_pem()
DEV_ENV = {"MFA_RECOVERY_ENV": "development", "MFA_RECOVERY_ANSWER_SIGNING_KEY": ANSWER_KEY_PEM.decode()}
REALM = "acme"
USER_ID = "9b1f0c1e-0000-4000-8000-000000000001"


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A 2048-bit key per name, made once per test session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(name: str, **extra: Any) -> dict[str, Any]:
    """The public half of :func:`rsa_key` as a realm's JWKS lists it (kid = the name)."""
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key(name).public_key(), as_dict=True)
    return {**jwk, "kid": name, "use": "sig", "alg": "RS256", **extra}


# --- Keycloak's data (Keycloak itself: fakes/keycloak.py) -------------------------------------------------------

REALM_SMTP = {"host": "smtp.acme.example", "port": "25", "from": "no-reply@acme.example"}
EMPLOYEE = DirectoryUser(
    id=USER_ID,
    username="jdoe",
    email="jan@acme.example",
    first_name="Jan",
    last_name="Doe",
    attributes={"supervisor": ("carol",), "locale": ("en",)},
)
SUPERVISOR = DirectoryUser(
    id="5c0e4a7d-0000-4000-8000-00000000000c",
    username="carol",
    email="carol@acme.example",
    first_name="Carol",
    last_name="de Vries",
    attributes={"locale": ("nl",)},
)
PROFILE = {"username": "jdoe", "first_name": "Jan", "email": "jan@acme.example", "locale": "en"}


# --- reading what the sidecar answered --------------------------------------------------------------------------


def matching(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """``re.search`` that fails the test when ``pattern`` is not in ``text``."""
    found = re.search(pattern, text, flags)
    assert found is not None, f"{pattern!r} not in {text[:2000]!r}"
    return found


def json_body(response: TestResponse) -> Any:
    """The JSON body of a test client's response; fails the test when the body is not JSON."""
    body = response.json
    assert body is not None, response.get_data(as_text=True)
    return body


def outbox_row(services: Services, notification: int) -> dict[str, object]:
    """The outbox's row of this notification, which must exist."""
    row = services.outbox.get(notification)
    assert row is not None, f"no notification {notification}"
    return row
