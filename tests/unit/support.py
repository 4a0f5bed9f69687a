"""Constants and helpers shared by the unit tests."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from mfa_recovery.bridge_auth.answers import new_private_key_pem
from mfa_recovery.directory import DirectoryUser
from mfa_recovery.notifications.smtp import SmtpConfig

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


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# --- Keycloak's data and an SMTP stand-in (Keycloak itself: fakes/keycloak.py) ----------------------------------------

REALM_SMTP = {"host": "smtp.acme.example", "port": "25", "from": "no-reply@acme.example"}
CODE_LINE = re.compile(r"^(\d{4}) (\d{4})$", re.MULTILINE)


class FakeTransport:
    """Takes the place of SMTP: keeps every message; ``failure`` (an exception) makes the next sends fail."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.failure: BaseException | None = None

    def __call__(self, config: SmtpConfig, message: EmailMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.messages.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def last_code_to(self, address: str) -> str:
        """The 8 digits of the newest code mail to ``address``."""
        return code_in(self.to(address)[-1])


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")


def code_in(message: EmailMessage) -> str:
    found = CODE_LINE.search(text_of(message))
    assert found, text_of(message)
    return found.group(1) + found.group(2)


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
