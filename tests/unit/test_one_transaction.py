"""One unit of work per verify call: every write of a backup-code or mailed-code verification (the bridge token's
id, the failure counts, the code's use, the audit row, the outbox row) in one transaction, after the code was
checked; a replayed token or a failed write leaves nothing behind. The start of a recovery (the token's id and its
audit row) commits once too."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select

from mfa_recovery.bridge_auth.replay import StoreReplayGuard
from mfa_recovery.caller import Caller
from mfa_recovery.notifications.repository import SqlOutboxRepository
from mfa_recovery.services import Services
from mfa_recovery.store.tables import email_challenges, notification_outbox, recovery_failures, used_bridge_tokens

from .fakes.clock import FakeClock
from .fakes.smtp import FakeTransport
from .support import PROFILE, REALM, USER_ID, json_body

START = "/bridge/v1/recovery/start"
VERIFY = "/bridge/v1/backup-codes/verify"
EMAIL_SEND = "/bridge/v1/email-code/send"
EMAIL_VERIFY = "/bridge/v1/email-code/verify"
ADDRESS_START = "/bridge/v1/backup-email/start"
ADDRESS_VERIFY = "/bridge/v1/backup-email/verify"
CLIENT = {"ip": "203.0.113.7", "user_agent": "Firefox/140", "profile": PROFILE}
BACKUP = "nina@example.net"
WRONG = "AAAA-AAAA-AA"


def svc(app: Flask) -> Services:
    return app.extensions["mfa_recovery"]


class Transactions:
    """Whether a write transaction (SQLite's ``BEGIN IMMEDIATE``) is open now on a connection of ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self._writing: set[int] = set()
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._ended)

    @property
    def open(self) -> bool:
        return bool(self._writing)

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper().startswith("BEGIN IMMEDIATE"):
            self._writing.add(id(conn.connection))

    def _ended(self, conn: Any) -> None:
        self._writing.discard(id(conn.connection))

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._ended)
        event.remove(self.engine, "rollback", self._ended)


@pytest.fixture
def store(app: Flask, call: Callable[..., Any]) -> Iterator[Transactions]:
    """Watches the app's store, from after a first call (the keys fetched, expired token ids purged)."""
    assert call(START, CLIENT).status_code == 200
    watched = Transactions(svc(app).engine)
    yield watched
    watched.stop()


def commits(engine: Engine) -> Callable[[], int]:
    """A counter of the engine's commits from now on."""
    count = [0]

    def committed(conn: Any) -> None:
        count[0] += 1

    event.listen(engine, "commit", committed)
    return lambda: count[0]


@pytest.fixture
def hashing_outside_transactions(app: Flask, store: Transactions, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each argon2 verification of the app's hasher (the dummy one too) notes whether a write transaction was open
    meanwhile."""
    hasher = svc(app).hasher
    seen: list[bool] = []
    verify = hasher.verify

    def noting_verify(stored: str, code: str) -> bool:
        seen.append(store.open)
        return verify(stored, code)

    monkeypatch.setattr(hasher, "verify", noting_verify)
    return seen


def count(app: Flask, table: Any) -> int:
    with svc(app).engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def state(app: Flask) -> dict[str, Any]:
    """Everything a verify call may change."""
    services = svc(app)
    with services.engine.connect() as conn:
        failures = sorted(tuple(row) for row in conn.execute(select(recovery_failures)))
        mailed = sorted(tuple(row) for row in conn.execute(select(email_challenges)))
    return {
        "codes": services.backup_codes.remaining(REALM, USER_ID),
        "audit": [row["id"] for row in services.audit.recent(1000)],
        "outbox": count(app, notification_outbox),
        "failures": failures,
        "mailed codes": mailed,
    }


def add_backup_address(call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock) -> None:
    assert call(ADDRESS_START, {**CLIENT, "address": BACKUP}).json["result"] == "sent"
    assert call(ADDRESS_VERIFY, {**CLIENT, "code": outgoing.last_code_to(BACKUP)}).json["result"] == "verified"
    clock.advance(60)


def mailed_code(call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock) -> str:
    add_backup_address(call, outgoing, clock)
    assert call(EMAIL_SEND, CLIENT).json["result"] == "sent"
    return outgoing.last_code_to(BACKUP)


# --- one write transaction, the hash outside it ------------------------------------------------------------------


def test_a_rejected_and_an_accepted_backup_code_commit_once_each_hashing_outside(
    app: Flask, call: Callable[..., Any], hashing_outside_transactions: list[bool]
) -> None:
    code = svc(app).backup_codes.issue(REALM, USER_ID, 3)[0]
    committed = commits(svc(app).engine)

    assert json_body(call(VERIFY, {**CLIENT, "code": WRONG})) == {"result": "rejected"}
    assert committed() == 1
    assert json_body(call(VERIFY, {**CLIENT, "code": code}))["result"] == "accepted"
    assert committed() == 2

    assert hashing_outside_transactions == [False, False]
    outcomes = [(row["action"], row["outcome"]) for row in svc(app).audit.recent(2)]
    assert outcomes == [("backup_code.verify", "accepted"), ("backup_code.verify", "rejected")]
    assert count(app, notification_outbox) == 1
    assert svc(app).audit.verify().ok


def test_the_start_of_a_recovery_commits_once(app: Flask, call: Callable[..., Any], store: Transactions) -> None:
    svc(app).backup_codes.issue(REALM, USER_ID, 3)
    committed = commits(svc(app).engine)
    assert json_body(call(START, CLIENT))["methods"] == ["backup_code"]
    assert committed() == 1
    assert svc(app).audit.verify().ok


def test_a_racing_replay_of_a_start_writes_no_second_audit_row(
    app: Flask, client: FlaskClient, make_token: Callable[..., str], replays_racing: None
) -> None:
    headers = {"Authorization": f"Bearer {make_token(START)}"}
    assert client.post(START, json=CLIENT, headers=headers).status_code == 200
    before = state(app)

    assert client.post(START, json=CLIENT, headers=headers).status_code == 401

    assert state(app) == before
    assert svc(app).audit.verify().ok


def test_a_locked_backup_code_call_commits_once(app: Flask, call: Callable[..., Any], store: Transactions) -> None:
    for _ in range(5):
        assert call(VERIFY, {**CLIENT, "code": WRONG}).json["result"] == "rejected"
    committed = commits(svc(app).engine)
    assert call(VERIFY, {**CLIENT, "code": WRONG}).json["result"] == "locked"
    assert committed() == 1


def test_a_rejected_and_an_accepted_mailed_code_commit_once_each(
    app: Flask, call: Callable[..., Any], outgoing: FakeTransport, clock: FakeClock, store: Transactions
) -> None:
    code = mailed_code(call, outgoing, clock)
    committed = commits(svc(app).engine)

    assert json_body(call(EMAIL_VERIFY, {**CLIENT, "code": "0000 0000"})) == {"result": "rejected", "attempts_left": 4}
    assert committed() == 1
    assert json_body(call(EMAIL_VERIFY, {**CLIENT, "code": code}))["result"] == "accepted"
    assert committed() == 2
    assert json_body(call(EMAIL_VERIFY, {**CLIENT, "code": code})) == {"result": "expired"}
    assert committed() == 3
    assert svc(app).audit.verify().ok


# --- a replayed token changes nothing ----------------------------------------------------------------------------


def post_twice(client: FlaskClient, token: str, first: dict[str, Any], second: dict[str, Any], path: str = VERIFY):
    headers = {"Authorization": f"Bearer {token}"}
    return client.post(path, json=first, headers=headers), client.post(path, json=second, headers=headers)


def test_a_replayed_token_is_refused_before_its_code_is_checked(
    app: Flask,
    client: FlaskClient,
    make_token: Callable[..., str],
    hashing_outside_transactions: list[bool],
) -> None:
    codes = svc(app).backup_codes.issue(REALM, USER_ID, 3)
    token = make_token(VERIFY)
    first, _ = post_twice(client, token, {**CLIENT, "code": codes[0]}, {})
    assert first.json is not None and first.json["result"] == "accepted"
    before = state(app)

    replayed = client.post(VERIFY, json={**CLIENT, "code": codes[1]}, headers={"Authorization": f"Bearer {token}"})

    assert replayed.status_code == 401
    assert replayed.json == {"error": "invalid_token", "message": "invalid bridge token"}
    assert state(app) == before
    assert len(hashing_outside_transactions) == 1  # only the first call's


@pytest.fixture
def replays_racing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every token passes the early look-up, as a replay does that arrives while the first call is still running:
    only the id's insert in the call's transaction can refuse it."""
    monkeypatch.setattr(StoreReplayGuard, "used", lambda self, jti: False)


@pytest.mark.parametrize("replayed_code", ["valid", "wrong"])
def test_a_racing_replay_rolls_back_everything_it_would_have_written(
    app: Flask, client: FlaskClient, make_token: Callable[..., str], replays_racing: None, replayed_code: str
) -> None:
    codes = svc(app).backup_codes.issue(REALM, USER_ID, 3)
    token = make_token(VERIFY)
    headers = {"Authorization": f"Bearer {token}"}
    assert json_body(client.post(VERIFY, json={**CLIENT, "code": codes[0]}, headers=headers))["result"] == "accepted"
    before = state(app)

    code = codes[1] if replayed_code == "valid" else WRONG
    replayed = client.post(VERIFY, json={**CLIENT, "code": code}, headers=headers)

    assert replayed.status_code == 401
    assert replayed.json == {"error": "invalid_token", "message": "invalid bridge token"}
    assert state(app) == before  # the code unused, no row, no notice, no failure counted
    assert svc(app).audit.verify().ok


def test_a_racing_replay_of_a_mailed_code_changes_nothing(
    app: Flask,
    client: FlaskClient,
    make_token: Callable[..., str],
    outgoing: FakeTransport,
    clock: FakeClock,
    call: Callable[..., Any],
    replays_racing: None,
) -> None:
    code = mailed_code(call, outgoing, clock)
    token = make_token(EMAIL_VERIFY)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(EMAIL_VERIFY, json={**CLIENT, "code": "0000 0000"}, headers=headers).json == {
        "result": "rejected",
        "attempts_left": 4,
    }
    before = state(app)

    assert client.post(EMAIL_VERIFY, json={**CLIENT, "code": code}, headers=headers).status_code == 401

    assert state(app) == before
    assert json_body(call(EMAIL_VERIFY, {**CLIENT, "code": code}))["result"] == "accepted"  # still live


def test_a_call_refused_for_its_body_still_uses_its_token(
    app: Flask, client: FlaskClient, make_token: Callable[..., str]
) -> None:
    token = make_token(VERIFY)
    first, second = post_twice(client, token, {"code": 7}, {"code": WRONG})
    assert first.status_code == 400
    assert second.status_code == 401
    assert count(app, used_bridge_tokens) >= 1


# --- a failed last write leaves nothing ------------------------------------------------------------------------


class OutboxDown(Exception):
    """The outbox row cannot be written."""


@pytest.fixture
def outbox_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def add(self: SqlOutboxRepository, **kwargs: Any) -> int:
        raise OutboxDown("outbox table full")

    monkeypatch.setattr(SqlOutboxRepository, "add", add)


def test_a_failed_outbox_insert_leaves_the_backup_code_unused_and_no_row(
    app: Flask, call: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, outbox_fails: None
) -> None:
    code = svc(app).backup_codes.issue(REALM, USER_ID, 3)[0]
    before = state(app)

    response = call(VERIFY, {**CLIENT, "code": code})

    assert response.status_code == 500 and "Traceback" not in response.get_data(as_text=True)
    assert state(app) == before
    monkeypatch.undo()
    assert json_body(call(VERIFY, {**CLIENT, "code": code}))["result"] == "accepted"


def test_a_failed_outbox_insert_leaves_the_mailed_code_live_and_no_row(
    app: Flask,
    call: Callable[..., Any],
    outgoing: FakeTransport,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = mailed_code(call, outgoing, clock)
    monkeypatch.setattr(SqlOutboxRepository, "add", lambda self, **kwargs: (_ for _ in ()).throw(OutboxDown()))
    before = state(app)

    assert call(EMAIL_VERIFY, {**CLIENT, "code": code}).status_code == 500

    assert state(app) == before
    monkeypatch.undo()
    assert json_body(call(EMAIL_VERIFY, {**CLIENT, "code": code}))["result"] == "accepted"


def test_the_service_alone_still_writes_in_one_transaction(services: Services) -> None:
    """Without a bridge call (the CLI, the store's concurrency tests) the audit log opens the unit of work."""
    codes = services.backup_codes.issue(REALM, USER_ID, 3)
    committed = commits(services.engine)
    caller = Caller(REALM, USER_ID, attempt="a.1", ip="203.0.113.7")
    assert services.sign_in.verify(caller, WRONG).result == "rejected"
    assert services.sign_in.verify(caller, codes[0]).result == "accepted"
    assert committed() == 2
