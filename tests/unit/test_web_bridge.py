import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.web.app import create_app
from mfa_recovery.web.bridge.refusals import RefusalLog

from .fakes.clock import FakeClock
from .support import DEV_ENV, REALM, USER_ID, json_body

START = "/bridge/v1/recovery/start"
VERIFY = "/bridge/v1/backup-codes/verify"
REFUSALS_LOGGER = "mfa_recovery.web.bridge.refusals"


def no_traceback(response: Any) -> None:
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text


def issue(app: Flask, count: int = 3) -> list[str]:
    return app.extensions["mfa_recovery"].backup_codes.issue(REALM, USER_ID, count)


def audit(app: Flask) -> list[dict[str, Any]]:
    return app.extensions["mfa_recovery"].audit.recent()


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_reports_store_failure(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = app.extensions["mfa_recovery"].engine

    def broken() -> None:
        raise RuntimeError("store down")

    monkeypatch.setattr(engine, "connect", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable"}


def test_start_without_codes(call: Callable[..., Any]) -> None:
    response = call(START, {"ip": "203.0.113.7", "user_agent": "Firefox"})
    assert response.status_code == 200
    assert response.json == {"methods": [], "backup_codes_remaining": 0, "email_hint": None}


def test_start_with_codes(app: Flask, call: Callable[..., Any]) -> None:
    issue(app, 7)
    response = call(START, {})
    assert response.json == {"methods": ["backup_code"], "backup_codes_remaining": 7, "email_hint": None}


def test_verify_accepts_then_rejects_and_audits(app: Flask, call: Callable[..., Any]) -> None:
    code = issue(app, 3)[1]
    body = {"code": code, "ip": "203.0.113.7", "user_agent": "U" * 600}
    first = call(VERIFY, body)
    assert first.status_code == 200
    assert first.json == {"result": "accepted", "backup_codes_remaining": 2, "regenerate": True, "reenrol_otp": False}
    second = call(VERIFY, body)
    assert second.status_code == 200
    assert second.json == {"result": "rejected"}

    events = [e for e in audit(app) if e["action"] == "backup_code.verify"]
    assert [e["outcome"] for e in events] == ["rejected", "accepted"]
    accepted = events[1]
    assert accepted["realm"] == REALM and accepted["subject"] == USER_ID
    assert accepted["detail"]["attempt"] == "root-session-id.tab-id"
    assert accepted["ip"] == "203.0.113.7"
    assert len(accepted["user_agent"]) == 512


def test_realm_and_user_come_from_the_token_only(
    app: Flask, client: FlaskClient, make_token: Callable[..., str]
) -> None:
    code = issue(app, 1)[0]
    token = make_token(VERIFY, sub="another-user")
    body = {"code": code, "realm": REALM, "sub": USER_ID, "user_id": USER_ID}
    response = client.post(VERIFY, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.json == {"result": "rejected"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic Zm9vOmJhcg=="}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x.y.z"}],
)
def test_missing_or_bad_token_is_401_json(app: Flask, client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.post(VERIFY, json={"code": "7KQM-2XHR-9T"}, headers=headers)
    assert response.status_code == 401
    assert json_body(response)["error"] == "invalid_token"
    no_traceback(response)
    assert audit(app) == []  # an anonymous caller writes nothing to the trail


def test_token_for_another_endpoint_is_401(client: FlaskClient, make_token: Callable[..., str]) -> None:
    response = client.post(VERIFY, json={"code": "x"}, headers={"Authorization": f"Bearer {make_token(START)}"})
    assert response.status_code == 401
    assert response.json == {"error": "invalid_token", "message": "invalid bridge token"}


def test_replayed_token_is_401(client: FlaskClient, make_token: Callable[..., str]) -> None:
    headers = {"Authorization": f"Bearer {make_token(START)}"}
    assert client.post(START, json={}, headers=headers).status_code == 200
    assert client.post(START, json={}, headers=headers).status_code == 401


def test_a_token_of_another_realms_key_is_401_and_logged(
    app: Flask, client: FlaskClient, bridge_issuer, caplog: pytest.LogCaptureFixture
) -> None:
    issue(app, 1)
    token = bridge_issuer.token(START, key="other-bridge-key", realm=REALM)
    with caplog.at_level(logging.WARNING, logger=REFUSALS_LOGGER):
        response = client.post(START, json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json == {"error": "invalid_token", "message": "invalid bridge token"}
    (warning,) = caplog.records
    assert "unknown key id" in warning.getMessage() and START in warning.getMessage()
    assert audit(app) == []


def test_a_flood_of_refused_calls_adds_no_row_and_a_bounded_number_of_log_lines(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=REFUSALS_LOGGER):
        for _ in range(100):
            assert client.post(START, json={}, headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    assert audit(app) == []
    assert len(caplog.records) == 1  # the first; the others wait for the next interval


def test_refusals_are_summarised_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    refusals = RefusalLog(interval_seconds=60, monotonic=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger=REFUSALS_LOGGER):
        for second in range(150):
            now[0] = 1000.0 + second
            refusals.refused(f"reason {second}", START, "203.0.113.9")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3  # at 0 s, 60 s and 120 s
    assert messages[0].startswith("refused 1 bridge call(s)") and messages[0].endswith("reason 0")
    assert messages[1].startswith("refused 60 bridge call(s)") and messages[1].endswith("reason 60")
    assert "from 203.0.113.9" in messages[2] and messages[2].endswith("reason 120")


def test_keycloak_unreachable_is_503_json_not_401(app: Flask, client: FlaskClient, bridge_issuer) -> None:
    bridge_issuer.down = True
    response = client.post(START, json={}, headers={"Authorization": f"Bearer {bridge_issuer.token(START)}"})
    assert response.status_code == 503
    assert json_body(response)["error"] == "unavailable"
    assert "MFA-Recovery-Signature" not in response.headers
    no_traceback(response)
    assert audit(app) == []  # the token was not judged


@pytest.mark.parametrize("data", [b"{not json", b"", b"[1, 2]", b'"code"', b'{"code": NaN}'])
def test_malformed_json_is_400(client: FlaskClient, make_token: Callable[..., str], data: bytes) -> None:
    response = client.post(
        VERIFY,
        data=data,
        headers={"Authorization": f"Bearer {make_token(VERIFY)}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert json_body(response)["error"] == "bad_request"
    no_traceback(response)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (VERIFY, {}),
        (VERIFY, {"code": 1234567890}),
        (VERIFY, {"code": ["7KQM-2XHR-9T"]}),
        (VERIFY, {"code": "7" * 65}),
        (VERIFY, {"code": "7KQM-2XHR-9T", "ip": 7}),
        (START, {"user_agent": {"a": 1}}),
    ],
)
def test_wrong_types_are_400(call: Callable[..., Any], path: str, body: object) -> None:
    response = call(path, body)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"


def test_oversize_body_is_413_json(call: Callable[..., Any]) -> None:
    response = call(VERIFY, {"code": "7KQM-2XHR-9T", "user_agent": "x" * 17_000})
    assert response.status_code == 413
    assert response.json["error"] == "too_large"
    no_traceback(response)


def test_wrong_content_type_is_415(client: FlaskClient, make_token: Callable[..., str]) -> None:
    response = client.post(
        VERIFY,
        data="code=7KQM-2XHR-9T",
        headers={"Authorization": f"Bearer {make_token(VERIFY)}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert json_body(response)["error"] == "unsupported_media_type"


def test_unknown_path_is_404_json(client: FlaskClient) -> None:
    response = client.post("/bridge/v1/nothing", json={})
    assert response.status_code == 404
    assert json_body(response)["error"] == "not_found"


def test_wrong_method_is_405_json(client: FlaskClient) -> None:
    response = client.get(VERIFY)
    assert response.status_code == 405
    assert json_body(response)["error"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_unexpected_error_is_500_json_without_traceback(
    app: Flask, call: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = app.extensions["mfa_recovery"].backup_codes

    def boom(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "match", boom)
    response = call(VERIFY, {"code": "7KQM-2XHR-9T"})
    assert response.status_code == 500
    assert response.json == {"error": "internal_error", "message": "internal error"}
    assert "secret internals" not in response.get_data(as_text=True)
    no_traceback(response)


def test_apps_do_not_share_state(tmp_path: Any, clock: FakeClock, fast_hasher: CodeHasher) -> None:
    def settings(name: str) -> Settings:
        return Settings.from_env(
            {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path / name), "MFA_RECOVERY_NOTIFICATIONS": "off"}
        )

    a = create_app(settings("a"), clock=clock, hasher=fast_hasher)
    b = create_app(settings("b"), clock=clock, hasher=fast_hasher)
    a.extensions["mfa_recovery"].backup_codes.issue(REALM, USER_ID, 2)
    assert b.extensions["mfa_recovery"].backup_codes.remaining(REALM, USER_ID) == 0
    assert a.extensions["mfa_recovery"].backup_codes.remaining(REALM, USER_ID) == 2
