"""Employees for the tests: each test makes its own users in the acme realm, so tests stay independent."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

import pyotp
from keycloak import KeycloakAdmin

REALM = "acme"


@dataclass(frozen=True)
class Employee:
    username: str
    password: str
    user_id: str
    totp_secret: str | None

    def totp(self) -> str:
        assert self.totp_secret, f"{self.username} has no authenticator"
        return pyotp.TOTP(self.totp_secret).now()


def otp_credential(secret: str) -> dict:
    return {
        "type": "otp",
        "userLabel": "Test authenticator",
        "secretData": json.dumps({"value": secret}),
        "credentialData": json.dumps(
            {
                "subType": "totp",
                "digits": 6,
                "counter": 0,
                "period": 30,
                "algorithm": "HmacSHA1",
                "secretEncoding": "BASE32",
            }
        ),
    }


def create_employee(
    admin: KeycloakAdmin,
    prefix: str,
    *,
    with_otp: bool = True,
    locale: str | None = None,
    required_actions: tuple[str, ...] = (),
    supervisor: str | None = None,
) -> Employee:
    username = f"{prefix}-{secrets.token_hex(4)}".lower()
    password = secrets.token_urlsafe(12)
    totp_secret = pyotp.random_base32() if with_otp else None
    credentials = [{"type": "password", "value": password, "temporary": False}]
    if totp_secret:
        credentials.append(otp_credential(totp_secret))
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@acme.example",
            "emailVerified": True,
            "firstName": prefix.title(),
            "lastName": "Tester",
            "credentials": credentials,
            "requiredActions": list(required_actions),
            "attributes": _attributes(locale=locale, supervisor=supervisor),
        }
    )
    return Employee(username, password, user_id, totp_secret)


def _attributes(**values: str | None) -> dict[str, list[str]]:
    return {name: [value] for name, value in values.items() if value}


def email_of(employee: Employee) -> str:
    """The primary address every test employee gets."""
    return f"{employee.username}@acme.example"


def brute_force_status(admin: KeycloakAdmin, user_id: str) -> dict:
    """Keycloak's own brute-force record of the user (admin API: attack-detection)."""
    return admin.connection.raw_get(f"admin/realms/{REALM}/attack-detection/brute-force/users/{user_id}").json()


def wait_for_brute_force_failures(admin: KeycloakAdmin, user_id: str, expected: int, seconds: float = 10) -> int:
    """Keycloak records login failures on a background executor; wait until the count arrives (or time is up)."""
    deadline = time.monotonic() + seconds
    while True:
        failures = brute_force_status(admin, user_id)["numFailures"]
        if failures >= expected or time.monotonic() > deadline:
            return failures
        time.sleep(0.2)
