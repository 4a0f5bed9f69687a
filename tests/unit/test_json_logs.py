"""Logs: the request id (taken from the caller when acceptable, else made, and answered), one JSON object a line,
redaction as defence in depth, and the flows logging no code, token or address at all (even at DEBUG, without the
redacting filter: what is never logged needs no redaction)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.backup_codes.codes import normalise
from mfa_recovery.config import ConfigError, Settings
from mfa_recovery.observability import logs
from mfa_recovery.observability.request_id import acceptable, request_id_from
from mfa_recovery.services import Services

from .fakes.admin_api import close, make_harness
from .fakes.bridge import BridgeIssuer
from .fakes.clock import FakeClock
from .fakes.smtp import FakeTransport
from .served import serving
from .support import DEV_ENV, EMPLOYEE, PEPPER, PROFILE, REALM, SUPERVISOR, USER_ID

START = "/bridge/v1/recovery/start"
SETUP = "/bridge/v1/backup-codes/setup"
CONFIRM = "/bridge/v1/backup-codes/confirm"
VERIFY_CODE = "/bridge/v1/backup-codes/verify"
ADDRESS_START = "/bridge/v1/backup-email/start"
ADDRESS_VERIFY = "/bridge/v1/backup-email/verify"
SEND = "/bridge/v1/email-code/send"
VERIFY_EMAIL = "/bridge/v1/email-code/verify"
NOTIFY = "/bridge/v1/supervisor/notify"
CLIENT = {"ip": "203.0.113.7", "user_agent": "Firefox/140", "profile": PROFILE}
BACKUP = "nina@example.net"
GENERATED = re.compile(r"[0-9a-f]{32}\Z")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every line the served sidecar would write, in JSON, at DEBUG (the root logger's handler of ``serve``)."""
    stream = io.StringIO()
    handler = logs.handler(logs.JSON, stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- the request id -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["abc", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "x" * 64, "a.b:c/d_e~!"])
def test_an_acceptable_request_id_is_kept_and_answered(client: FlaskClient, given: str) -> None:
    response = client.get("/health/live", headers={"X-Request-Id": given})
    assert response.headers["X-Request-Id"] == given


@pytest.mark.parametrize("given", ["", "x" * 65, "two words", "ctl\x01", "tab\there", "é", "\x7f"])
def test_an_unacceptable_request_id_is_replaced(client: FlaskClient, given: str) -> None:
    assert not acceptable(given)
    response = client.get("/health/live", headers={"X-Request-Id": given})
    assert GENERATED.match(response.headers["X-Request-Id"])
    assert response.headers["X-Request-Id"] != given


def test_without_a_request_id_each_answer_gets_a_new_one(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/nothing/here").headers["X-Request-Id"]
    assert GENERATED.match(first) and GENERATED.match(second) and first != second
    assert request_id_from(None) != request_id_from(None)


def test_the_bridge_calls_request_id_is_in_every_line_of_it(
    app: Flask, client: FlaskClient, make_token: Callable[..., str], captured: io.StringIO
) -> None:
    app.extensions["mfa_recovery"].backup_codes.issue(REALM, USER_ID, 2)
    headers = {"Authorization": f"Bearer {make_token(START)}", "X-Request-Id": "kc-7f3a"}
    assert client.post(START, json={}, headers=headers).headers["X-Request-Id"] == "kc-7f3a"
    written = lines(captured)
    assert written, "the call logged nothing"
    assert {line["request_id"] for line in written} == {"kc-7f3a"}
    audit = next(line for line in written if line["logger"] == "mfa_recovery.audit.log")
    assert audit["message"].startswith("audit recovery.start ok") and audit["route"] == START
    access = next(line for line in written if line["logger"] == logs.ACCESS_LOGGER)
    assert {key: access[key] for key in ("route", "method", "status", "level")} == {
        "route": START,
        "method": "POST",
        "status": 200,
        "level": "INFO",
    }
    assert isinstance(access["duration_ms"], float)
    assert set(access) >= {"time", "level", "logger", "message", "request_id", "route"}


def test_the_access_line_names_the_route_never_the_path(client: FlaskClient, captured: io.StringIO) -> None:
    client.get(f"/ui/realms/acme/callback?code=the-authorization-code&state=s3&session_state={USER_ID}")
    (access,) = [line for line in lines(captured) if line["logger"] == logs.ACCESS_LOGGER]
    assert access["route"] == "/ui/realms/<realm>/callback"
    assert "the-authorization-code" not in captured.getvalue() and USER_ID not in captured.getvalue()


def test_lines_outside_a_request_have_no_request_id(captured: io.StringIO) -> None:
    logging.getLogger("mfa_recovery.test").warning("outside %s", "a request")
    (line,) = lines(captured)
    assert line["message"] == "outside a request" and line["request_id"] is None and line["level"] == "WARNING"


def test_text_format_is_one_readable_line() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("mfa_recovery.test.text")
    logger.addHandler(logs.handler(logs.TEXT, stream))
    logger.propagate = False
    try:
        logger.warning("hello %s", "there")
    finally:
        logger.handlers.clear()
        logger.propagate = True
    assert re.fullmatch(r"\S+ \S+ WARNING mfa_recovery\.test\.text \[None\] hello there\n", stream.getvalue())


def test_log_format_defaults_json_in_production_text_in_development() -> None:
    assert Settings.from_env(DEV_ENV).log_format == "text"
    assert Settings.from_env({**DEV_ENV, "MFA_RECOVERY_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError) as wrong:
        Settings.from_env({**DEV_ENV, "MFA_RECOVERY_LOG_FORMAT": "xml"})
    assert any("MFA_RECOVERY_LOG_FORMAT" in line for line in wrong.value.problems)
    with pytest.raises(ConfigError) as production:  # a production configuration that is incomplete otherwise
        Settings.from_env({**DEV_ENV, "MFA_RECOVERY_ENV": "production", "MFA_RECOVERY_LOG_FORMAT": "yaml"})
    assert any("MFA_RECOVERY_LOG_FORMAT" in line for line in production.value.problems)


def test_configure_logging_replaces_its_own_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        logs.configure_logging(logs.JSON, stream=io.StringIO())
        logs.configure_logging(logs.TEXT, stream=io.StringIO())
        ours = [h for h in root.handlers if h.get_name() == "mfa_recovery"]
        assert len(ours) == 1 and isinstance(ours[0].formatter, logs.TextFormatter)
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])


# --- redaction ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here", "token [jwt] here"),
        ("mail to nina@example.net failed", "mail to [email] failed"),
        ("code 7KQM-2XHR-9T was wrong", "code [code] was wrong"),
        ("mailed 12345678 and 1234 5678", "mailed [code] and [code]"),
        ("password=hunter2, client_secret: 's e c'", "password=[redacted], client_secret: [redacted]"),
    ],
)
def test_obvious_secrets_are_redacted(text: str, expected: str) -> None:
    assert logs.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "audit backup_code.verify accepted realm=acme actor=bridge subject=9b1f0c1e-0000-4000-8000-000000000001",
        "GET /ui/realms/<realm>/employees/<user_id> 200 12.5ms",
        "listening at http://127.0.0.1:8081 (pid 12345)",
        "2026-12-02T10:00:00.123+00:00 the JWKS of realm master answered HTTP 503",
        "refused 60 bridge call(s) in 60 s; the first from 203.0.113.9: unknown key id",
        "n•••@example.net is the hint",
        "sent notification 20261202",
    ],
)
def test_useful_lines_survive(text: str) -> None:
    if text == "sent notification 20261202":
        assert logs.redact(text) == "sent notification [code]"  # an 8-digit number is taken for a code: by design
    else:
        assert logs.redact(text) == text


def test_written_lines_are_redacted_arguments_and_tracebacks_too(captured: io.StringIO) -> None:
    logger = logging.getLogger("mfa_recovery.test.redaction")
    logger.info("sent to %s", "nina@example.net")
    try:
        raise RuntimeError("Bearer abc.def")
    except RuntimeError:
        logger.exception("failed for %s", "jan@acme.example")
    text = captured.getvalue()
    assert "nina@example.net" not in text and "jan@acme.example" not in text and "abc.def" not in text
    assert "[email]" in text and "Bearer [redacted]" in text
    assert [line["message"] for line in lines(captured)] == ["sent to [email]", "failed for [email]"]
    stream = io.StringIO()
    text_handler = logs.handler(logs.TEXT, stream)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("jan@acme.example",), None)
    text_handler.handle(record)
    assert stream.getvalue().endswith("to [email]\n")
    assert record.getMessage() == "to jan@acme.example"  # the record itself is untouched: other handlers see it all


# --- the flows log no secret --------------------------------------------------------------------------------------


class Secrets:
    """Everything secret the flows handed out or were sent: no log line may hold any of it."""

    def __init__(self) -> None:
        self.values: set[str] = {PEPPER, BACKUP, *(a for a in (EMPLOYEE.email, SUPERVISOR.email) if a)}

    def add(self, *values: str) -> None:
        for value in values:
            self.values.add(value)
            normal = normalise(value)
            if normal:
                self.values.add(normal)

    def found_in(self, text: str) -> list[str]:
        return sorted(value for value in self.values if value and value in text)


def test_the_bridge_flows_log_no_code_token_or_address(
    app: Flask,
    client: FlaskClient,
    bridge_issuer: BridgeIssuer,
    outgoing: FakeTransport,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    captured: io.StringIO,
) -> None:
    secrets = Secrets()
    services: Services = app.extensions["mfa_recovery"]

    def call(path: str, body: dict[str, Any]) -> Any:
        token = bridge_issuer.token(path)
        secrets.add(token)
        return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})

    with caplog.at_level(logging.DEBUG):
        setup = call(SETUP, CLIENT).json
        secrets.add(*setup["codes"])
        assert call(CONFIRM, {"set_id": setup["set_id"], **CLIENT}).json["result"] == "activated"
        assert call(VERIFY_CODE, {"code": setup["codes"][0], **CLIENT}).json["result"] == "accepted"
        assert call(VERIFY_CODE, {"code": setup["codes"][0], **CLIENT}).json["result"] == "rejected"
        assert call(VERIFY_CODE, {"code": "ZZZZ-ZZZZ-ZZ", **CLIENT}).json["result"] == "rejected"

        assert call(ADDRESS_START, {**CLIENT, "address": BACKUP}).json["result"] == "sent"
        address_code = outgoing.last_code_to(BACKUP)
        secrets.add(address_code)
        assert call(ADDRESS_VERIFY, {**CLIENT, "code": "00000000"}).json["result"] == "rejected"
        assert call(ADDRESS_VERIFY, {**CLIENT, "code": address_code}).json["result"] == "verified"
        clock.advance(60)
        assert call(SEND, CLIENT).json["result"] == "sent"
        sign_in_code = outgoing.last_code_to(BACKUP)
        secrets.add(sign_in_code)
        assert call(VERIFY_EMAIL, {**CLIENT, "code": f"{sign_in_code[:4]} {sign_in_code[4:]}"}).json["result"] in (
            "accepted",
        )
        assert call(NOTIFY, CLIENT).json["result"] == "queued"

        # Refused calls: a forged token, a token of another key, a replay.
        forged = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        secrets.add(forged)
        client.post(START, json={}, headers={"Authorization": f"Bearer {forged}"})
        other = bridge_issuer.token(START, key="other-bridge-key", realm=REALM)
        secrets.add(other)
        client.post(START, json={}, headers={"Authorization": f"Bearer {other}"})
        replayed = bridge_issuer.token(START)
        secrets.add(replayed)
        for _ in range(2):
            client.post(START, json={}, headers={"Authorization": f"Bearer {replayed}"})

        # The outbox: every queued notification mailed, then a failing SMTP.
        report = services.notification_sender().run_once()
        assert report.sent >= 1
        clock.advance(3600)
        outgoing.failure = OSError(f"550 mailbox {EMPLOYEE.email} unavailable")
        call(SEND, CLIENT)
        services.outbox.enqueue(
            realm=REALM, user_id=USER_ID, kind="backup_codes_activated", occurred_at=clock(), ip=None, user_agent=None
        )
        assert services.notification_sender().run_once().sent == 0

    assert len(outgoing.messages) >= 4
    assert caplog.records, "nothing was logged: the test would prove nothing"
    everything = caplog.text + "\n".join(r.getMessage() for r in caplog.records) + captured.getvalue()
    assert secrets.found_in(everything) == []


def test_the_admin_api_logs_no_token_or_address(
    settings: Settings,
    clock: FakeClock,
    fast_hasher: Any,
    caplog: pytest.LogCaptureFixture,
    captured: io.StringIO,
    tmp_path: Path,
) -> None:
    harness = make_harness(settings, clock, fast_hasher)
    secrets = Secrets()
    try:
        with caplog.at_level(logging.DEBUG):
            token = harness.issuer.token()
            secrets.add(token)
            path = f"/admin/v1/realms/{REALM}/employees/{USER_ID}"
            assert harness.get(path, token=token).status_code == 200
            disable = f"/admin/v1/realms/{REALM}/employees/{USER_ID}/disable-mfa"
            assert harness.send("POST", disable, {"reason": "lost phone"}, token=token).status_code == 200
            assert harness.get(path, token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl").status_code == 401
            harness.keycloak.down = True
            harness.get(path, token=token)
        everything = caplog.text + captured.getvalue()
        assert caplog.records
        assert secrets.found_in(everything) == []
    finally:
        close(harness)


# --- served: every line of gunicorn and the application is JSON ---------------------------------------------------


def test_served_json_logs_are_one_object_a_line(tmp_path: Path) -> None:
    with serving(tmp_path, MFA_RECOVERY_LOG_FORMAT="json") as (main, _):
        answer = requests.get(
            f"http://127.0.0.1:{main}/ui/realms/acme/callback?code=an-authorization-code",
            headers={"X-Request-Id": "served-1"},
            timeout=5,
        )
        assert answer.headers["X-Request-Id"] == "served-1"
    text = (tmp_path / "serve.log").read_text()
    written = [json.loads(line) for line in text.splitlines() if line.strip()]  # fails on any line that is not JSON
    assert any(line["logger"] == "gunicorn.error" for line in written), text
    (access,) = [line for line in written if line["request_id"] == "served-1" and line["logger"] == logs.ACCESS_LOGGER]
    assert access["route"] == "/ui/realms/<realm>/callback"
    assert "an-authorization-code" not in text  # no raw-path access line of gunicorn's
