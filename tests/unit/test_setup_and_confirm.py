import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from mfa_recovery.services import Services
from mfa_recovery.store.tables import backup_codes

from .fakes.bridge import OTHER_REALM
from .fakes.clock import FakeClock
from .support import REALM, USER_ID

SETUP = "/bridge/v1/backup-codes/setup"
CONFIRM = "/bridge/v1/backup-codes/confirm"
VERIFY = "/bridge/v1/backup-codes/verify"
START = "/bridge/v1/recovery/start"
CLIENT = {"ip": "203.0.113.9", "user_agent": "Firefox/140"}
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$")


def svc(app: Flask) -> Services:
    return app.extensions["mfa_recovery"]


def setup(call: Callable[..., Any], **claims: Any) -> dict[str, Any]:
    response = call(SETUP, CLIENT, claims=claims)
    assert response.status_code == 200, response.json
    return response.json


def confirm(call: Callable[..., Any], set_id: object, **claims: Any) -> Any:
    return call(CONFIRM, {"set_id": set_id, **CLIENT}, claims=claims)


def accepted(call: Callable[..., Any], code: str) -> bool:
    return call(VERIFY, {"code": code}).json["result"] == "accepted"


def test_setup_makes_a_pending_set_of_the_realms_size(app: Flask, call: Callable[..., Any]) -> None:
    svc(app).realm_options.update(REALM, "cli:t", code_count=7, setup_prompt="required")
    body = setup(call)
    assert set(body) == {"show", "skippable", "set_id", "codes", "prompt", "backup_email"}
    assert body["backup_email"] == {"enabled": True, "address_hint": None, "verified": False}
    assert body["prompt"] == "required" and body["show"] and not body["skippable"]
    assert len(body["codes"]) == 7 and len(set(body["codes"])) == 7
    assert all(CODE.match(code) for code in body["codes"])
    assert isinstance(body["set_id"], str) and len(body["set_id"]) >= 43  # 256 random bits, URL-safe base64

    # Pending: not counted, not valid for sign-in.
    assert call(START, {}).json == {"methods": [], "backup_codes_remaining": 0, "email_hint": None}
    assert call(VERIFY, {"code": body["codes"][0]}).json == {"result": "rejected"}


def test_setup_prompt_default_is_offered(call: Callable[..., Any]) -> None:
    body = setup(call)
    assert body["prompt"] == "offered" and len(body["codes"]) == 10


@pytest.mark.parametrize(
    ("reason", "prompt", "show", "skippable"),
    [
        ("user_request", "off", True, False),
        ("after_otp_enrolment", "off", False, False),
        ("after_otp_enrolment", "offered", True, True),
        ("after_otp_enrolment", "required", True, False),
        ("low_codes", "offered", True, True),
        ("low_codes", "required", True, False),
        ("required_action", "offered", True, False),
    ],
)
def test_the_reason_and_the_realms_prompt_decide_the_page(
    app: Flask, call: Callable[..., Any], reason: str, prompt: str, show: bool, skippable: bool
) -> None:
    svc(app).realm_options.update(REALM, "cli:t", setup_prompt=prompt)
    response = call(SETUP, {"reason": reason, **CLIENT})
    assert response.status_code == 200
    assert (response.json["show"], response.json["skippable"]) == (show, skippable)
    assert bool(response.json["codes"]) == show, "no codes are made for a page that does not show"


def test_an_unknown_setup_reason_is_a_bad_request(call: Callable[..., Any]) -> None:
    response = call(SETUP, {"reason": "because", **CLIENT})
    assert response.status_code == 400 and response.json["error"] == "bad_request"


def test_confirm_activates_and_the_old_codes_stop_working(app: Flask, call: Callable[..., Any]) -> None:
    old = svc(app).backup_codes.issue(REALM, USER_ID, 5)
    body = setup(call)
    assert accepted(call, old[0])  # the old set works until the confirmation

    response = confirm(call, body["set_id"])
    assert response.status_code == 200
    assert response.json == {"result": "activated", "backup_codes_remaining": 10}
    assert not accepted(call, old[1])
    assert accepted(call, body["codes"][3])
    assert call(START, {}).json["backup_codes_remaining"] == 9
    with svc(app).engine.connect() as conn:
        rows = conn.execute(select(backup_codes.c.set_id, backup_codes.c.status)).all()
    assert {tuple(row) for row in rows} == {(body["set_id"], "active")}


def test_an_activated_set_is_told_to_the_primary_address(app: Flask, call: Callable[..., Any]) -> None:
    body = setup(call)
    assert svc(app).outbox.due() == [], "a set shown but not confirmed changes nothing"
    confirm(call, body["set_id"])
    [notice] = svc(app).outbox.due()
    assert (notice.kind, notice.user_id, notice.codes_left) == ("backup_codes_activated", USER_ID, 10)
    assert (notice.ip, notice.user_agent) == (CLIENT["ip"], CLIENT["user_agent"])
    confirm(call, body["set_id"])
    assert len(svc(app).outbox.due()) == 1, "an expired confirmation tells nobody"


def test_confirming_twice_activates_once(call: Callable[..., Any]) -> None:
    body = setup(call)
    assert confirm(call, body["set_id"]).json["result"] == "activated"
    assert accepted(call, body["codes"][0])
    assert confirm(call, body["set_id"]).json == {"result": "expired"}
    assert call(START, {}).json["backup_codes_remaining"] == 9  # the used code stays used


def test_a_new_setup_replaces_the_earlier_pending_set(call: Callable[..., Any]) -> None:
    first = setup(call)
    second = setup(call)
    assert first["set_id"] != second["set_id"]
    assert confirm(call, first["set_id"]).json == {"result": "expired"}
    assert confirm(call, second["set_id"]).json["result"] == "activated"
    assert not accepted(call, first["codes"][0])
    assert accepted(call, second["codes"][0])


def test_a_pending_set_expires_after_30_minutes(call: Callable[..., Any], clock: FakeClock) -> None:
    fresh = setup(call)
    clock.advance(30 * 60 - 1)
    assert confirm(call, fresh["set_id"]).json["result"] == "activated"

    stale = setup(call)
    clock.advance(30 * 60)
    assert confirm(call, stale["set_id"]).json == {"result": "expired"}
    assert accepted(call, fresh["codes"][0])  # the active set is untouched by the expired confirmation
    assert not accepted(call, stale["codes"][0])


def test_set_id_is_bound_to_realm_and_user(call: Callable[..., Any]) -> None:
    body = setup(call)
    assert confirm(call, body["set_id"], sub="someone-else").json == {"result": "expired"}
    assert confirm(call, body["set_id"], realm=OTHER_REALM).json == {"result": "expired"}
    assert confirm(call, body["set_id"] + "x").json == {"result": "expired"}
    assert confirm(call, "").json == {"result": "expired"}
    assert confirm(call, body["set_id"]).json["result"] == "activated"


def test_setup_of_another_user_does_not_touch_this_users_codes(app: Flask, call: Callable[..., Any]) -> None:
    mine = svc(app).backup_codes.issue(REALM, USER_ID, 5)
    other = setup(call, sub="someone-else")
    assert confirm(call, other["set_id"], sub="someone-else").json["result"] == "activated"
    assert accepted(call, mine[0])


@pytest.mark.parametrize("body", [{}, {"set_id": 12}, {"set_id": None}, {"set_id": ["a"]}, {"set_id": "x" * 129}])
def test_confirm_with_a_bad_set_id_is_400(call: Callable[..., Any], body: dict[str, Any]) -> None:
    response = call(CONFIRM, body)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"


def test_setup_and_confirm_need_a_token_for_their_own_path(client: Any, make_token: Callable[..., str]) -> None:
    response = client.post(SETUP, json={}, headers={"Authorization": f"Bearer {make_token(CONFIRM)}"})
    assert response.status_code == 401
    response = client.post(CONFIRM, json={"set_id": "x"})
    assert response.status_code == 401


def test_setup_and_confirm_are_audited_as_the_user(app: Flask, call: Callable[..., Any]) -> None:
    body = setup(call)
    confirm(call, "not-it")
    confirm(call, body["set_id"])
    events = [e for e in svc(app).audit.recent() if e["action"].startswith("backup_codes.")]
    assert [(e["action"], e["outcome"]) for e in events] == [
        ("backup_codes.issued", "ok"),
        ("backup_codes.issued", "expired"),
        ("backup_codes.setup_started", "ok"),
    ]
    for event in events:
        assert event["actor"] == "user" and event["subject"] == USER_ID and event["realm"] == REALM
        assert event["detail"]["attempt"] == "root-session-id.tab-id"
        assert event["ip"] == "203.0.113.9" and event["user_agent"] == "Firefox/140"
    assert events[0]["detail"]["count"] == 10
    assert body["set_id"] not in str(events)  # the set id is a bearer secret: not in the audit trail


def test_concurrent_confirmations_activate_once(services: Services) -> None:
    old = services.backup_codes.issue(REALM, USER_ID, 5)
    pending = services.backup_codes.start_setup(REALM, USER_ID, 10)
    barrier = threading.Barrier(8)
    results: list[int | None] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            barrier.wait()
            result = services.backup_codes.confirm_setup(REALM, USER_ID, pending.set_id)
            with lock:
                results.append(result)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results, key=lambda r: r is None) == [10] + [None] * 7
    assert services.backup_codes.remaining(REALM, USER_ID) == 10
    assert not services.backup_codes.verify(REALM, USER_ID, old[0]).accepted
    assert services.backup_codes.verify(REALM, USER_ID, pending.codes[0]).accepted


def test_confirm_is_one_transaction(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """If deleting the old set fails, the pending set is not activated either (and the old codes still work)."""
    old = services.backup_codes.issue(REALM, USER_ID, 5)
    pending = services.backup_codes.start_setup(REALM, USER_ID, 10)
    import mfa_recovery.backup_codes.repository as repository

    real_delete = repository.delete

    def failing_delete(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("store failed mid-transaction")

    monkeypatch.setattr(repository, "delete", failing_delete)
    with pytest.raises(RuntimeError):
        services.backup_codes.confirm_setup(REALM, USER_ID, pending.set_id)
    monkeypatch.setattr(repository, "delete", real_delete)
    assert services.backup_codes.remaining(REALM, USER_ID) == 5
    assert services.backup_codes.verify(REALM, USER_ID, old[0]).accepted
    assert services.backup_codes.confirm_setup(REALM, USER_ID, pending.set_id) == 10


def test_cli_issue_replaces_a_pending_set_too(services: Services) -> None:
    pending = services.backup_codes.start_setup(REALM, USER_ID, 10)
    services.backup_codes.issue(REALM, USER_ID, 5)
    assert services.backup_codes.confirm_setup(REALM, USER_ID, pending.set_id) is None
    assert services.backup_codes.remaining(REALM, USER_ID) == 5


def test_abandoned_pending_sets_are_purged_by_later_setups(services: Services, clock: FakeClock) -> None:
    services.backup_codes.start_setup(REALM, "abandoned-user", 10)
    clock.advance(31 * 60)
    services.backup_codes.start_setup(REALM, USER_ID, 10)
    with services.engine.connect() as conn:
        users = set(conn.execute(select(backup_codes.c.user_id)).scalars())
    assert users == {USER_ID}
