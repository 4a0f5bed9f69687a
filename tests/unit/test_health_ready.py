"""Health: /health/live and /health/ready on both listeners, the checks themselves and their cache."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from mfa_recovery.config import Settings
from mfa_recovery.observability.health import (
    CachedCheck,
    CheckResult,
    ReadinessChecks,
    keycloak_check,
    readiness_checks,
    smtp_check,
    store_check,
)
from mfa_recovery.web.app import create_app
from tests.support.mailsink import MailSink, free_port

from .conftest import Wiring
from .support import DEV_ENV, json_body

MAIN_PORT = 18981
BRIDGE_PORT = 18982


class AcceptedSocket:
    def __init__(self, port: int) -> None:
        self.port = port

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def on(port: int) -> dict[str, Any]:
    return {"environ_base": {"gunicorn.socket": AcceptedSocket(port)}}


class Switch:
    """A check that answers what it is told, and counts how often it was asked."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.calls = 0

    def __call__(self) -> CheckResult:
        self.calls += 1
        return CheckResult(True) if self.ok else CheckResult(False, "down for the test")


class FakeResponse:
    def __init__(self, status_code: int, document: object = None) -> None:
        self.status_code = status_code
        self._document = document

    def json(self) -> object:
        if self._document is None:
            raise ValueError("not JSON")
        return self._document


@pytest.fixture
def switches() -> dict[str, Switch]:
    return {"store": Switch(), "keycloak": Switch(), "smtp": Switch()}


@pytest.fixture
def split_app(tmp_path: Path, wiring: Wiring, switches: dict[str, Switch]) -> Iterator[Flask]:
    settings = Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_DATA_DIR": str(tmp_path),
            "MFA_RECOVERY_NOTIFICATIONS": "off",
            "MFA_RECOVERY_BRIDGE_PORT": str(BRIDGE_PORT),
        }
    )
    app = create_app(settings, **wiring, readiness=ReadinessChecks(list(switches.items())))
    yield app
    app.extensions["mfa_recovery"].engine.dispose()


@pytest.mark.parametrize("port", [MAIN_PORT, BRIDGE_PORT])
def test_live_and_ready_answer_on_both_listeners(split_app: Flask, port: int) -> None:
    client = split_app.test_client()
    live = client.get("/health/live", **on(port))
    assert (live.status_code, live.json) == (200, {"status": "ok"})
    ready = client.get("/health/ready", **on(port))
    assert ready.status_code == 200
    assert ready.json == {
        "status": "ok",
        "checks": {"store": {"status": "ok"}, "keycloak": {"status": "ok"}, "smtp": {"status": "ok"}},
    }
    assert client.get("/healthz", **on(port)).json == {"status": "ok"}


@pytest.mark.parametrize("failing", ["store", "keycloak", "smtp"])
def test_one_failed_check_makes_ready_503_and_names_it(
    split_app: Flask, switches: dict[str, Switch], failing: str
) -> None:
    switches[failing].ok = False
    ready = split_app.test_client().get("/health/ready", **on(BRIDGE_PORT))
    assert ready.status_code == 503
    body = json_body(ready)
    assert body["status"] == "unavailable"
    assert body["checks"][failing] == {"status": "failed", "reason": "down for the test"}
    others = {name: check for name, check in body["checks"].items() if name != failing}
    assert all(check == {"status": "ok"} for check in others.values())
    # live asks no dependency
    assert split_app.test_client().get("/health/live", **on(MAIN_PORT)).status_code == 200


def test_a_check_that_raises_is_failed_not_500(split_app: Flask, switches: dict[str, Switch]) -> None:
    def broken() -> CheckResult:
        raise RuntimeError("password=hunter2 in a message")

    split_app.extensions["mfa_recovery_readiness"] = ReadinessChecks([("store", broken)])
    ready = split_app.test_client().get("/health/ready", **on(MAIN_PORT))
    assert ready.status_code == 503
    assert json_body(ready)["checks"]["store"] == {"status": "failed", "reason": "RuntimeError"}
    assert "hunter2" not in ready.get_data(as_text=True)


def test_the_result_is_cached_for_a_few_seconds() -> None:
    now = [100.0]
    check = Switch()
    cached = CachedCheck(check, seconds=5, monotonic=lambda: now[0])
    assert cached().ok and check.calls == 1
    check.ok = False
    now[0] = 104.9
    assert cached().ok and check.calls == 1  # still the cached answer
    now[0] = 105.0
    assert not cached().ok and check.calls == 2
    now[0] = 107.0
    assert not cached().ok and check.calls == 2


def test_default_checks_ask_keycloak_and_smtp_once_in_five_seconds(tmp_path: Path, wiring: Wiring) -> None:
    asked: list[str] = []

    def get(url: str, **_: Any) -> FakeResponse:
        asked.append(url)
        return FakeResponse(200, {"keys": [{"kid": "k"}]})

    now = [0.0]
    settings = Settings.from_env(
        {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path), "MFA_RECOVERY_NOTIFICATIONS": "off"}
    )
    app = create_app(settings, **wiring)
    checks = readiness_checks(
        app.extensions["mfa_recovery"].engine, "http://kc:8080/", None, None, None, get=get, monotonic=lambda: now[0]
    )
    for _ in range(10):
        assert checks.run().ok
    assert asked == ["http://kc:8080/realms/master/protocol/openid-connect/certs"]
    now[0] = 6.0
    checks.run()
    assert len(asked) == 2
    app.extensions["mfa_recovery"].engine.dispose()


def test_store_check_fails_when_the_store_does_not_answer(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = app.extensions["mfa_recovery"].engine
    assert store_check(engine)().ok

    def broken() -> None:
        raise RuntimeError("store down")

    monkeypatch.setattr(engine, "connect", broken)
    assert store_check(engine)() == CheckResult(False, "the store does not answer")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (FakeResponse(503), "the JWKS of realm master answered HTTP 503"),
        (FakeResponse(404), "the JWKS of realm master answered HTTP 404"),
        (FakeResponse(200), "the JWKS of realm master holds no keys"),
        (FakeResponse(200, {"keys": []}), "the JWKS of realm master holds no keys"),
        (FakeResponse(200, ["not", "an", "object"]), "the JWKS of realm master holds no keys"),
    ],
)
def test_keycloak_check_failures(answer: FakeResponse, reason: str) -> None:
    assert keycloak_check("http://kc", "master", lambda *_, **__: answer)() == CheckResult(False, reason)


def test_keycloak_check_unreachable() -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise requests.ConnectionError("connection refused to http://user:secret@kc")

    result = keycloak_check("http://kc", "master", refuse)()
    assert result == CheckResult(False, "Keycloak unreachable: ConnectionError")


def test_smtp_check_against_a_real_server(smtp_server: MailSink) -> None:
    assert smtp_check("127.0.0.1", smtp_server.port, "off")() == CheckResult(True)
    assert smtp_server.messages == []  # a probe sends no mail


def test_smtp_check_of_a_closed_port() -> None:
    result = smtp_check("127.0.0.1", free_port(), "off")()
    assert not result.ok
    assert result.reason == "SMTP unreachable: ConnectionRefusedError"


def test_smtp_check_of_a_server_that_refuses_noop() -> None:
    class Grumpy(smtplib.SMTP):
        def __init__(self) -> None:
            super().__init__()

        def ehlo(self, name: str = "") -> tuple[int, bytes]:
            return 250, b"ok"

        def noop(self) -> tuple[int, bytes]:
            return 421, b"closing"

        def close(self) -> None:
            pass

    result = smtp_check("mail.example", 25, "off", lambda *_: Grumpy())()
    assert result == CheckResult(False, "SMTP answered 421 to NOOP")


def test_without_an_smtp_host_there_is_nothing_to_ask() -> None:
    result = smtp_check(None, None, None)()
    assert result.ok and result.reason == "not checked: each realm's own SMTP server"
