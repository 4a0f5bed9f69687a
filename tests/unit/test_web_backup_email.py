"""The bridge API over HTTP: backup email, sign-in codes by mail, the supervisor; good and bad input."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.services import Services

from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .fakes.smtp import FakeTransport
from .support import PROFILE, REALM, USER_ID, json_body

START = "/bridge/v1/recovery/start"
SETUP = "/bridge/v1/backup-codes/setup"
SEND = "/bridge/v1/email-code/send"
VERIFY = "/bridge/v1/email-code/verify"
ADDRESS_START = "/bridge/v1/backup-email/start"
ADDRESS_VERIFY = "/bridge/v1/backup-email/verify"
SUPERVISOR = "/bridge/v1/supervisor"
NOTIFY = "/bridge/v1/supervisor/notify"
CLIENT = {"ip": "203.0.113.7", "user_agent": "Firefox/140", "profile": PROFILE}
BACKUP = "nina@example.net"


def svc(app: Flask) -> Services:
    return app.extensions["mfa_recovery"]


def add_backup_address(call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock) -> None:
    assert call(ADDRESS_START, {**CLIENT, "address": BACKUP}).json["result"] == "sent"
    assert call(ADDRESS_VERIFY, {**CLIENT, "code": outgoing.last_code_to(BACKUP)}).json["result"] == "verified"
    clock.advance(60)


def no_traceback(response: Any) -> None:
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text


# --- good input -------------------------------------------------------------------------------------------------


def test_setting_up_a_backup_address(
    app: Flask, call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock
) -> None:
    assert call(SETUP, CLIENT).json["backup_email"] == {"enabled": True, "address_hint": None, "verified": False}
    sent = call(ADDRESS_START, {**CLIENT, "address": BACKUP})
    assert sent.status_code == 200
    assert sent.json == {
        "result": "sent",
        "address_hint": "n•••@example.net",
        "expires_in_seconds": 600,
        "resend_after_seconds": 60,
    }
    assert outgoing.to(BACKUP)[0]["Subject"] == "Confirm your backup email address"
    clock.advance(10)
    assert call(ADDRESS_START, {**CLIENT, "address": BACKUP}).json == {"result": "cooldown", "retry_after_seconds": 50}

    code = outgoing.last_code_to(BACKUP)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    assert call(ADDRESS_VERIFY, {**CLIENT, "code": wrong}).json == {"result": "rejected", "attempts_left": 4}
    spaced = f"{code[:4]} {code[4:]}"
    assert call(ADDRESS_VERIFY, {**CLIENT, "code": spaced}).json == {
        "result": "verified",
        "address_hint": "n•••@example.net",
    }
    assert call(ADDRESS_VERIFY, {**CLIENT, "code": code}).json == {"result": "expired"}
    assert call(SETUP, CLIENT).json["backup_email"] == {
        "enabled": True,
        "address_hint": "n•••@example.net",
        "verified": True,
    }


@pytest.mark.parametrize(
    ("address", "result"),
    [
        ("nina", "invalid_address"),
        ("n" * 300 + "@example.net", "invalid_address"),
        ("Jan@Acme.Example", "same_as_primary"),
    ],
)
def test_refused_addresses(call: Callable[..., Any], outgoing: FakeTransport, address: str, result: str) -> None:
    assert call(ADDRESS_START, {**CLIENT, "address": address}).json == {"result": result}
    assert outgoing.messages == []


def test_with_the_method_off(app: Flask, call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock) -> None:
    add_backup_address(call, outgoing, clock)
    svc(app).realm_options.update(REALM, "cli:t", email_method_enabled=False)
    assert call(ADDRESS_START, {**CLIENT, "address": "x@example.org"}).json == {"result": "disabled"}
    assert call(SEND, CLIENT).json == {"result": "unavailable"}
    assert call(START, CLIENT).json == {"methods": [], "backup_codes_remaining": 0, "email_hint": None}
    assert call(SETUP, CLIENT).json["backup_email"] == {
        "enabled": False,
        "address_hint": "n•••@example.net",
        "verified": True,
    }


def test_signing_in_with_a_mailed_code(
    app: Flask, call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock
) -> None:
    assert call(SEND, CLIENT).json == {"result": "unavailable"}
    add_backup_address(call, outgoing, clock)
    svc(app).backup_codes.issue(REALM, USER_ID, 3)
    assert call(START, CLIENT).json == {
        "methods": ["backup_code", "email"],
        "backup_codes_remaining": 3,
        "email_hint": "n•••@example.net",
    }
    assert call(SEND, CLIENT).json == {
        "result": "sent",
        "address_hint": "n•••@example.net",
        "expires_in_seconds": 600,
        "resend_after_seconds": 60,
    }
    assert call(SEND, CLIENT).json == {"result": "cooldown", "retry_after_seconds": 60}
    code = outgoing.last_code_to(BACKUP)
    assert call(VERIFY, {**CLIENT, "code": "0000 0000"}).json == {"result": "rejected", "attempts_left": 4}
    assert call(VERIFY, {**CLIENT, "code": f"{code[:4]}-{code[4:]}"}).json == {
        "result": "accepted",
        "reenrol_otp": True,
        "backup_codes_remaining": 3,
    }
    assert call(VERIFY, {**CLIENT, "code": code}).json == {"result": "expired"}


def test_locked_answer(app: Flask, call: Callable[..., Any]) -> None:
    for _ in range(5):
        assert call(VERIFY, {"code": "12345678"}).json == {"result": "expired"}
    assert call(VERIFY, {"code": "12345678"}).json == {"result": "locked", "retry_after_seconds": 900}


def test_capped_and_mail_failed(
    app: Flask, call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock, directory: FakeDirectory
) -> None:
    add_backup_address(call, outgoing, clock)
    directory.down = True
    assert call(SEND, CLIENT).json == {"result": "mail_failed"}
    directory.down = False
    for _ in range(4):
        assert call(SEND, CLIENT).json["result"] == "sent"
        clock.advance(60)
    assert call(SEND, CLIENT).json == {"result": "capped", "retry_after_seconds": 3600 - 5 * 60}


def test_the_supervisor(app: Flask, call: Callable[..., Any], clock: FakeClock, directory: FakeDirectory) -> None:
    expected = {"supervisor": {"name": "Carol de Vries"}, "can_notify": True, "retry_after_seconds": None}
    assert call(SUPERVISOR, {"ip": "203.0.113.7"}).json == expected
    assert call(NOTIFY, CLIENT).json == {"result": "queued", "supervisor": {"name": "Carol de Vries"}}
    clock.advance(600)
    assert call(NOTIFY, CLIENT).json == {"result": "rate_limited", "retry_after_seconds": 3000}
    assert call(SUPERVISOR, {}).json == {**expected, "can_notify": False, "retry_after_seconds": 3000}

    directory.down = True  # Keycloak down: no supervisor, never an error
    assert call(SUPERVISOR, {}).json == {"supervisor": None, "can_notify": False, "retry_after_seconds": None}
    clock.advance(3000)
    assert call(NOTIFY, CLIENT).json == {"result": "no_supervisor"}


def test_user_and_realm_come_from_the_token(
    call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock
) -> None:
    add_backup_address(call, outgoing, clock)
    call(SEND, CLIENT)
    code = outgoing.last_code_to(BACKUP)
    other = call(VERIFY, {**CLIENT, "code": code, "sub": USER_ID}, claims={"sub": "someone-else"})
    assert other.json == {"result": "expired"}
    assert call(VERIFY, {**CLIENT, "code": code}, claims={"realm": "other"}).json == {"result": "expired"}
    assert call(VERIFY, {**CLIENT, "code": code}).json["result"] == "accepted"


def test_profile_may_be_partial_or_absent(call: Callable[..., Any], outgoing: FakeTransport) -> None:
    body = {"address": BACKUP, "profile": {"username": "jdoe", "first_name": None, "locale": "", "extra": [1]}}
    assert call(ADDRESS_START, body).json["result"] == "sent"
    assert call(ADDRESS_START, {"address": "other@example.org"}).json["result"] == "cooldown"
    assert outgoing.messages[0]["Subject"] == "Confirm your backup email address"


# --- bad input --------------------------------------------------------------------------------------------------

PATHS_WITH_PROFILE = [SEND, VERIFY, ADDRESS_START, ADDRESS_VERIFY, NOTIFY]
VALID = {SEND: {}, VERIFY: {"code": "12345678"}, ADDRESS_START: {"address": BACKUP}, ADDRESS_VERIFY: {"code": "1"},
         NOTIFY: {}, SUPERVISOR: {}}  # fmt: skip


@pytest.mark.parametrize("path", PATHS_WITH_PROFILE)
@pytest.mark.parametrize(
    "profile",
    [
        "jdoe",
        ["jdoe"],
        7,
        {"username": 7},
        {"first_name": ["Jan"]},
        {"email": {"a": 1}},
        {"locale": True},
        {"username": "j" * 256},
        {"first_name": "J" * 256},
        {"email": "e" * 256},
        {"locale": "n" * 33},
    ],
)
def test_a_bad_profile_is_400(app: Flask, call: Callable[..., Any], path: str, profile: Any) -> None:
    response = call(path, {**VALID[path], "profile": profile})
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and "profile" in response.json["message"]
    no_traceback(response)
    assert svc(app).audit.recent() == []  # nothing was done


def test_profile_limits_are_inclusive(call: Callable[..., Any]) -> None:
    profile = {"username": "j" * 255, "first_name": "J" * 255, "email": "e" * 255, "locale": "n" * 32}
    assert call(SEND, {"profile": profile}).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (VERIFY, {}),
        (VERIFY, {"code": 12345678}),
        (VERIFY, {"code": None}),
        (VERIFY, {"code": "1" * 65}),
        (ADDRESS_VERIFY, {"code": ["12345678"]}),
        (ADDRESS_VERIFY, {"code": "1" * 65}),
        (ADDRESS_START, {}),
        (ADDRESS_START, {"address": 7}),
        (ADDRESS_START, {"address": ["a@example.org"]}),
        (SEND, {"ip": 7}),
        (NOTIFY, {"user_agent": ["x"]}),
        (SUPERVISOR, {"ip": {"a": 1}}),
    ],
)
def test_wrong_types_and_lengths_are_400(call: Callable[..., Any], path: str, body: dict[str, Any]) -> None:
    response = call(path, body)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    no_traceback(response)


@pytest.mark.parametrize("path", [*PATHS_WITH_PROFILE, SUPERVISOR])
@pytest.mark.parametrize("data", [b"{not json", b"", b"[1]", b'"x"', b'{"code": NaN}', b"{" * 5000])
def test_malformed_json_is_400(client: FlaskClient, make_token: Callable[..., str], path: str, data: bytes) -> None:
    response = client.post(
        path, data=data, headers={"Authorization": f"Bearer {make_token(path)}", "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert json_body(response)["error"] == "bad_request"
    no_traceback(response)


@pytest.mark.parametrize("path", [*PATHS_WITH_PROFILE, SUPERVISOR])
def test_every_new_endpoint_wants_its_own_token(client: FlaskClient, make_token: Callable[..., str], path: str) -> None:
    assert client.post(path, json=VALID[path]).status_code == 401
    wrong = client.post(path, json=VALID[path], headers={"Authorization": f"Bearer {make_token(START)}"})
    assert wrong.status_code == 401 and json_body(wrong)["error"] == "invalid_token"
    right = client.post(path, json=VALID[path], headers={"Authorization": f"Bearer {make_token(path)}"})
    assert right.status_code == 200


def test_an_unexpected_error_is_500_json(app: Flask, call: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(svc(app).email_sign_in, "send", boom)
    response = call(SEND, CLIENT)
    assert response.status_code == 500 and response.json == {"error": "internal_error", "message": "internal error"}
    assert "secret internals" not in response.get_data(as_text=True)
