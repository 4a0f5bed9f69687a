"""Prometheus metrics: what the audit trail's one hook counts, request latency by route, /metrics and its access
rules, and the multiprocess mode of a real gunicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from mfa_recovery.config import ConfigError, Settings
from mfa_recovery.observability import metrics
from mfa_recovery.web.app import create_app

from .conftest import Wiring
from .fakes.clock import FakeClock
from .fakes.smtp import FakeTransport
from .served import serving
from .support import DEV_ENV, PROFILE, REALM, USER_ID
from .test_listeners import AcceptedSocket

VERIFY = "/bridge/v1/backup-codes/verify"
SEND = "/bridge/v1/email-code/send"
ADDRESS_START = "/bridge/v1/backup-email/start"
ADDRESS_VERIFY = "/bridge/v1/backup-email/verify"
CLIENT = {"ip": "203.0.113.7", "user_agent": "Firefox/140", "profile": PROFILE}
TOKEN = "metrics-token-for-the-unit-tests-0123456789"  # noqa: S105
MAIN_PORT = 18971
BRIDGE_PORT = 18972


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """How much a sample grew since this was made."""

    def __init__(self, name: str, **labels: str) -> None:
        self.name, self.labels = name, labels
        self.before = sample(name, **labels)

    @property
    def grown(self) -> float:
        return sample(self.name, **self.labels) - self.before


def metrics_app(tmp_path: Path, wiring: Wiring, **extra: str) -> Flask:
    environ = {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path), "MFA_RECOVERY_NOTIFICATIONS": "off", **extra}
    return create_app(Settings.from_env(environ), **wiring)


@pytest.fixture
def on_app(tmp_path: Path, wiring: Wiring) -> Iterator[Flask]:
    app = metrics_app(
        tmp_path,
        wiring,
        MFA_RECOVERY_METRICS="on",
        MFA_RECOVERY_METRICS_TOKEN=TOKEN,
        MFA_RECOVERY_BRIDGE_PORT=str(BRIDGE_PORT),
    )
    yield app
    app.extensions["mfa_recovery"].engine.dispose()


def on(port: int) -> dict[str, Any]:
    return {"environ_base": {"gunicorn.socket": AcceptedSocket(("127.0.0.1", port))}}


# --- the audit trail's hook --------------------------------------------------------------------------------------


def test_backup_code_attempts_are_counted_by_outcome(app: Flask, call: Callable[..., Any]) -> None:
    code = app.extensions["mfa_recovery"].backup_codes.issue(REALM, USER_ID, 2)[0]
    accepted = Delta("mfa_recovery_recovery_attempts_total", method="backup_code", outcome="accepted")
    rejected = Delta("mfa_recovery_recovery_attempts_total", method="backup_code", outcome="rejected")
    events = Delta("mfa_recovery_audit_events_total", action="backup_code.verify", outcome="accepted")
    assert call(VERIFY, {"code": code}).json["result"] == "accepted"
    assert call(VERIFY, {"code": code}).json["result"] == "rejected"
    assert call(VERIFY, {"code": "0000-0000-00"}).json["result"] == "rejected"
    assert (accepted.grown, rejected.grown, events.grown) == (1, 2, 1)


def test_mailed_codes_and_their_attempts_are_counted(
    call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock
) -> None:
    address = "nina@example.net"
    assert call(ADDRESS_START, {**CLIENT, "address": address}).json["result"] == "sent"
    assert call(ADDRESS_VERIFY, {**CLIENT, "code": outgoing.last_code_to(address)}).json["result"] == "verified"
    clock.advance(60)
    sent = Delta("mfa_recovery_email_codes_sent_total", outcome="sent")
    accepted = Delta("mfa_recovery_recovery_attempts_total", method="email_code", outcome="accepted")
    assert call(SEND, CLIENT).json["result"] == "sent"
    assert sent.grown == 1
    code = outgoing.last_code_to(address)
    assert call("/bridge/v1/email-code/verify", {**CLIENT, "code": code}).json["result"] == "accepted"
    assert accepted.grown == 1


def test_only_committed_events_count() -> None:
    """The counter follows log_committed: a row that never reached the trail is never counted."""
    delta = Delta("mfa_recovery_audit_events_total", action="backup_code.verify", outcome="accepted")
    metrics.count_audit_event("backup_code.verify", "accepted")
    assert delta.grown == 1


@pytest.mark.parametrize(
    ("action", "outcome", "labels"),
    [
        ("admin.disable_mfa", "succeeded", ("admin.disable_mfa", "succeeded")),
        ("made.up", "ok", ("other", "ok")),
        ("admin.disable_mfa", "Not An Outcome!", ("admin.disable_mfa", "other")),
        ("no-dot-at-all", "ok", ("other", "ok")),
        ("admin." + "x" * 60, "ok", ("other", "ok")),
    ],
)
def test_labels_stay_bounded(action: str, outcome: str, labels: tuple[str, str]) -> None:
    delta = Delta("mfa_recovery_audit_events_total", action=labels[0], outcome=labels[1])
    metrics.count_audit_event(action, outcome)
    assert delta.grown == 1


def test_admin_desk_and_notification_families() -> None:
    admin = Delta("mfa_recovery_admin_actions_total", action="desk.case_approved", outcome="succeeded")
    filed = Delta("mfa_recovery_admin_actions_total", action="desk.request_filed", outcome="filed")
    failures = Delta("mfa_recovery_notification_failures_total", outcome="given_up")
    sent = Delta("mfa_recovery_notifications_sent_total")
    metrics.count_audit_event("desk.case_approved", "succeeded")
    metrics.count_audit_event("desk.request_filed", "filed")  # the employee's, not an operator's
    metrics.count_audit_event("notification.failed", "given_up")
    metrics.count_audit_event("notification.sent", "ok")
    assert (admin.grown, filed.grown, failures.grown, sent.grown) == (1, 0, 1, 1)


# --- request latency ----------------------------------------------------------------------------------------------


def test_latency_is_labelled_by_url_rule_never_by_path(client: FlaskClient) -> None:
    rule = "/admin/v1/realms/<realm>/employees/<user_id>"
    count = Delta("mfa_recovery_http_request_duration_seconds_count", route=rule, method="GET", status="4xx")
    assert client.get(f"/admin/v1/realms/acme/employees/{USER_ID}").status_code == 401
    assert count.grown == 1
    unmatched = Delta("mfa_recovery_http_request_duration_seconds_count", route="unmatched", method="GET", status="4xx")
    assert client.get("/no/such/page/secret-looking-path").status_code == 404
    assert unmatched.grown == 1
    routes = {s.labels.get("route") for m in REGISTRY.collect() for s in m.samples}
    assert not any(USER_ID in str(route) or "secret-looking" in str(route) for route in routes)


def test_status_classes() -> None:
    assert [metrics.status_class(code) for code in (200, 302, 404, 503, 42)] == ["2xx", "3xx", "4xx", "5xx", "other"]


# --- /metrics ----------------------------------------------------------------------------------------------------


def test_metrics_are_off_by_default(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_want_the_bearer_token(on_app: Flask) -> None:
    client = on_app.test_client()
    assert client.get("/metrics", **on(MAIN_PORT)).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", headers=wrong, **on(MAIN_PORT)).status_code == 401
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert client.get("/metrics", headers=basic, **on(MAIN_PORT)).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **on(MAIN_PORT))
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    text = answer.get_data(as_text=True)
    for name in (
        "mfa_recovery_audit_events_total",
        "mfa_recovery_recovery_attempts_total",
        "mfa_recovery_http_request_duration_seconds_bucket",
        "mfa_recovery_outbox_pending 0.0",
    ):
        assert name in text


def test_metrics_never_answer_on_the_bridge_listener(on_app: Flask) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert on_app.test_client().get("/metrics", headers=headers, **on(BRIDGE_PORT)).status_code == 404


def test_outbox_depth_counts_pending_mails(on_app: Flask, clock: FakeClock) -> None:
    services = on_app.extensions["mfa_recovery"]
    services.outbox.enqueue(
        realm=REALM, user_id=USER_ID, kind="backup_codes_activated", occurred_at=clock(), ip=None, user_agent=None
    )
    assert services.outbox.pending() == 1
    answer = on_app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **on(MAIN_PORT))
    assert "mfa_recovery_outbox_pending 1.0" in answer.get_data(as_text=True)


def test_production_with_metrics_on_needs_a_long_token() -> None:
    production = {
        "MFA_RECOVERY_ENV": "production",
        "MFA_RECOVERY_METRICS": "on",
    }
    with pytest.raises(ConfigError) as missing:
        Settings.from_env({**DEV_ENV, **production})
    assert any("MFA_RECOVERY_METRICS_TOKEN" in line for line in missing.value.problems)
    with pytest.raises(ConfigError) as short:
        Settings.from_env({**DEV_ENV, **production, "MFA_RECOVERY_METRICS_TOKEN": "short"})
    assert any("MFA_RECOVERY_METRICS_TOKEN must be at least" in line for line in short.value.problems)


def test_metrics_setting_is_checked() -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({**DEV_ENV, "MFA_RECOVERY_METRICS": "maybe"})
    assert not Settings.from_env(DEV_ENV).metrics_enabled
    assert repr(Settings.from_env({**DEV_ENV, "MFA_RECOVERY_METRICS_TOKEN": TOKEN})).find(TOKEN) == -1


# --- gunicorn with two workers ------------------------------------------------------------------------------------


def test_served_metrics_add_up_every_worker(tmp_path: Path) -> None:
    stale = tmp_path / "prometheus" / "counter_99999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left over by an earlier run")
    with serving(tmp_path, workers=2, MFA_RECOVERY_METRICS="on", MFA_RECOVERY_METRICS_TOKEN=TOKEN) as (main, bridge):
        assert not stale.exists()
        for _ in range(20):
            requests.get(f"http://127.0.0.1:{main}/health/live", timeout=5, headers={"Connection": "close"})
        assert requests.get(f"http://127.0.0.1:{bridge}/metrics", timeout=5).status_code == 404
        headers = {"Authorization": f"Bearer {TOKEN}"}
        text = requests.get(f"http://127.0.0.1:{main}/metrics", headers=headers, timeout=5).text
        line = next(
            line
            for line in text.splitlines()
            if line.startswith("mfa_recovery_http_request_duration_seconds_count")
            and 'route="/health/live"' in line
            and 'status="2xx"' in line
        )
        assert float(line.rsplit(" ", 1)[1]) >= 20  # the polls before, and 20 after: across both workers
    log_lines = (tmp_path / "serve.log").read_text()
    assert "/health/live" in log_lines  # the application's access line
