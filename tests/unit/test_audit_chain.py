"""The audit trail as a hash chain: how it is built, what ``verify`` finds, serialised writers, migration 0004,
the append-only triggers, searching, and ``mfa-recovery audit``.

Tampering tests drop the append-only triggers first (and the unique index on prev_hash where it is in the way),
as someone with write access to the database would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError

from mfa_recovery.audit.chain import (
    CHANGED,
    CUT,
    GENESIS,
    KEYED,
    MISSING,
    NOT_THE_HEAD,
    OUT_OF_PLACE,
    UNCHAINED,
    UNKEYED,
    Head,
    canonical_json,
    chain_hash,
)
from mfa_recovery.audit.log import MAX_PAGE, AuditEvent, AuditLog
from mfa_recovery.audit.repository import SqlAuditRepository
from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import Settings
from mfa_recovery.services import build_services
from mfa_recovery.store import migrate
from mfa_recovery.store.engine import make_engine
from mfa_recovery.store.tables import audit_events

from .fakes.clock import FakeClock
from .support import DEV_ENV

T0 = datetime(2025, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def tick() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def audit(engine: Engine, tick: FakeClock) -> AuditLog:
    return AuditLog(SqlAuditRepository(engine), tick, KEY)


def record_some(audit: AuditLog, tick: FakeClock, count: int = 5) -> None:
    for n in range(count):
        audit.record(
            realm="acme",
            actor="bridge",
            subject=f"user-{n % 2}",
            action="backup_code.verify",
            outcome="accepted" if n % 2 else "rejected",
            detail={"attempt": f"root.tab{n}", "remaining": n, "pair": (n, "é")},
            ip="192.0.2.7",
            user_agent="Mozilla/5.0 (X11; Linux x86_64)",
        )
        tick.advance(1.5)


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(audit_events).order_by(audit_events.c.id))]


def tamper(engine: Engine, *statements: tuple[str, tuple[Any, ...]] | str) -> None:
    """Run ``statements`` as an attacker would: without the append-only triggers."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        for statement in statements:
            sql, params = (statement, ()) if isinstance(statement, str) else statement
            conn.exec_driver_sql(sql, params)


INSERT_ROW = (
    "INSERT INTO audit_events (id, occurred_at, realm, actor, subject, action, outcome, detail, ip, user_agent,"
    " prev_hash, hash, hash_scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
KEY = b"the-audit-key-of-these-tests-0123456789"


def forged_row(row_id: int, prev_hash: str, key: bytes | None = KEY) -> tuple[str, tuple[Any, ...]]:
    """An INSERT of a plausible event chained onto ``prev_hash`` with a correctly computed hash: keyed with ``key``
    (an insider who holds the audit key), or plain SHA-256 with ``key=None`` (someone who does not)."""
    occurred_at = T0 + timedelta(seconds=2)
    fields = {
        "id": row_id,
        "occurred_at": occurred_at,
        "realm": "acme",
        "actor": "bridge",
        "subject": "user-1",
        "action": "backup_code.verify",
        "outcome": "accepted",
        "detail": {"attempt": "forged"},
        "ip": None,
        "user_agent": None,
    }
    stored = fields | {"occurred_at": occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f"), "detail": '{"attempt": "forged"}'}
    scheme = KEYED if key is not None else None
    return INSERT_ROW, (*stored.values(), prev_hash, chain_hash(prev_hash, fields, key), scheme)


# --- the chain ------------------------------------------------------------------------------------------------


def test_each_event_chains_onto_the_one_before(audit: AuditLog, engine: Engine, tick: FakeClock) -> None:
    record_some(audit, tick)
    stored = rows(engine)
    assert [row["id"] for row in stored] == [1, 2, 3, 4, 5]
    assert stored[0]["prev_hash"] == GENESIS == "0" * 64
    for before, row in zip(stored, stored[1:], strict=False):
        assert row["prev_hash"] == before["hash"]
    for row in stored:
        # Recomputed here from the documented definition, not with the module's own function.
        fields = {name: row[name] for name in ("id", "realm", "actor", "subject", "action", "outcome")}
        fields |= {"detail": row["detail"], "ip": row["ip"], "user_agent": row["user_agent"]}
        fields["occurred_at"] = row["occurred_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row["hash"] == hmac.new(KEY, (row["prev_hash"] + text).encode(), hashlib.sha256).hexdigest()
        assert row["hash_scheme"] == "hmac-sha256"
    # The detail was stored as JSON gives it back (the tuple became a list), so the hash is over the same value.
    assert stored[2]["detail"] == {"attempt": "root.tab2", "remaining": 2, "pair": [2, "é"]}


def test_canonical_form_is_fixed() -> None:
    row = {
        "id": 7,
        "occurred_at": datetime(2025, 11, 28, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        "realm": "acme",
        "actor": "bridge",
        "subject": "u",
        "action": "backup_code.verify",
        "outcome": "accepted",
        "detail": {"b": 1, "a": "é"},
        "ip": "192.0.2.1",
        "user_agent": None,
        "not_hashed": "ignored",
    }
    assert canonical_json(row) == (
        '{"action":"backup_code.verify","actor":"bridge","detail":{"a":"é","b":1},"id":7,"ip":"192.0.2.1",'
        '"occurred_at":"2025-11-28T08:30:00.000000Z","outcome":"accepted","realm":"acme","subject":"u",'
        '"user_agent":null}'
    )
    naive_utc = dict(row, occurred_at=datetime(2025, 11, 28, 8, 30))  # as SQLite gives it back
    assert canonical_json(naive_utc) == canonical_json(row)
    assert chain_hash(GENESIS, row) == hashlib.sha256((GENESIS + canonical_json(row)).encode()).hexdigest()


def test_times_are_stored_in_utc_whatever_the_clock_zone(engine: Engine) -> None:
    local = datetime(2025, 11, 28, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    AuditLog(SqlAuditRepository(engine), lambda: local, KEY).record("acme", "bridge", "u", "recovery.start", "ok")
    [event], _ = AuditLog(SqlAuditRepository(engine), lambda: local, KEY).search("acme")
    assert event.occurred_at == local and event.occurred_at.tzinfo == UTC
    assert AuditLog(SqlAuditRepository(engine), lambda: local, KEY).verify().ok


def test_an_intact_chain_verifies(audit: AuditLog, engine: Engine, tick: FakeClock) -> None:
    empty = audit.verify()
    assert (empty.ok, empty.checked, empty.last_id, empty.bad_id) == (True, 0, None, None)
    record_some(audit, tick)
    result = audit.verify()
    assert result.ok and result.broken is None and result.bad_id is None
    assert (result.checked, result.last_id, result.last_hash) == (5, 5, rows(engine)[-1]["hash"])


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("outcome", "accepted"),
        ("subject", None),
        ("detail", '{"attempt": "root.tab2", "remaining": 9, "pair": [2, "é"]}'),
        ("occurred_at", "2025-11-28 09:00:03.000001"),
        ("user_agent", "curl/8.0"),
        ("realm", "other"),
    ],
)
def test_a_changed_field_is_found_and_the_row_named(
    audit: AuditLog, engine: Engine, tick: FakeClock, column: str, value: object
) -> None:
    record_some(audit, tick)
    tamper(engine, (f"UPDATE audit_events SET {column} = ? WHERE id = 3", (value,)))  # noqa: S608 - test constant
    result = audit.verify()
    assert not result.ok
    assert result.bad_id == 3 and result.broken is not None
    assert result.broken.kind == CHANGED
    assert "event 3 was changed" in result.broken.reason
    assert result.checked == 2 and result.last_id == 2


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link(
    audit: AuditLog, engine: Engine, tick: FakeClock
) -> None:
    record_some(audit, tick)
    third = rows(engine)[2]
    rewritten = dict(third, outcome="accepted")
    tamper(
        engine,
        (
            "UPDATE audit_events SET outcome = ?, hash = ? WHERE id = 3",
            ("accepted", chain_hash(third["prev_hash"], rewritten, KEY)),  # an insider who holds the audit key
        ),
    )
    result = audit.verify()
    assert result.bad_id == 4 and result.broken is not None and result.broken.kind == OUT_OF_PLACE
    assert "does not chain onto event 3" in result.broken.reason
    assert result.checked == 3


@pytest.mark.parametrize(
    ("deleted", "bad_id", "kind", "says"),
    [
        ((3,), 4, MISSING, "event 3 is missing"),
        ((2, 3), 4, MISSING, "events 2..3 are missing"),
        ((1,), 2, MISSING, "event 2 is the first but does not start the chain"),
    ],
)
def test_a_deleted_row_is_found(
    audit: AuditLog,
    engine: Engine,
    tick: FakeClock,
    deleted: tuple[int, ...],
    bad_id: int,
    kind: str,
    says: str,
) -> None:
    record_some(audit, tick)
    tamper(engine, *[("DELETE FROM audit_events WHERE id = ?", (row_id,)) for row_id in deleted])
    result = audit.verify()
    assert result.broken is not None
    assert (result.bad_id, result.broken.kind) == (bad_id, kind)
    assert says in result.broken.reason


def test_a_forged_row_put_in_place_of_a_deleted_one_is_found(audit: AuditLog, engine: Engine, tick: FakeClock) -> None:
    record_some(audit, tick)
    second = rows(engine)[1]
    # Row 3 is replaced by a forged row 3 that chains correctly onto row 2 and has a correct hash of its own.
    tamper(engine, ("DELETE FROM audit_events WHERE id = ?", (3,)), forged_row(3, second["hash"]))
    result = audit.verify()
    assert result.broken is not None
    assert (result.bad_id, result.broken.kind, result.checked) == (4, OUT_OF_PLACE, 3)


def test_a_forged_row_chained_onto_an_old_row_is_refused_then_found(
    audit: AuditLog, engine: Engine, tick: FakeClock
) -> None:
    record_some(audit, tick)
    second = rows(engine)[1]
    with pytest.raises(IntegrityError):  # the unique index on prev_hash: a fork is refused outright
        tamper(engine, forged_row(6, second["hash"]))
    tamper(engine, "DROP INDEX uq_audit_events_prev_hash", forged_row(6, second["hash"]))
    result = audit.verify()
    assert result.broken is not None
    assert (result.bad_id, result.broken.kind, result.checked) == (6, OUT_OF_PLACE, 5)


def test_a_forged_row_with_a_made_up_hash_is_found(audit: AuditLog, engine: Engine, tick: FakeClock) -> None:
    record_some(audit, tick)
    sql, values = forged_row(6, rows(engine)[-1]["hash"])
    tamper(engine, (sql, (*values[:-2], "f" * 64, values[-1])))
    result = audit.verify()
    assert result.broken is not None and (result.bad_id, result.broken.kind) == (6, CHANGED)


def test_a_row_written_outside_the_chain_is_found(audit: AuditLog, engine: Engine, tick: FakeClock) -> None:
    record_some(audit, tick, 2)
    tamper(
        engine,
        "INSERT INTO audit_events (occurred_at, actor, action, outcome) VALUES ('2025-11-28', 'x', 'y', 'z')",
    )
    result = audit.verify()
    assert result.broken is not None and (result.bad_id, result.broken.kind) == (3, UNCHAINED)


def test_appending_continues_after_an_unchained_row_without_error(
    audit: AuditLog, engine: Engine, tick: FakeClock
) -> None:
    record_some(audit, tick, 1)
    tamper(
        engine, "INSERT INTO audit_events (occurred_at, actor, action, outcome) VALUES ('2025-11-28', 'x', 'y', 'z')"
    )
    audit.record("acme", "bridge", "u", "recovery.start", "ok")  # still recorded; the break stays visible
    assert [row["id"] for row in rows(engine)] == [1, 2, 3]
    assert audit.verify().bad_id == 2


# --- serialised writers ---------------------------------------------------------------------------------------

THREADS = 8
PER_THREAD = 25


def test_concurrent_writers_make_one_unbroken_chain(db_url: str) -> None:
    """Each thread has its own engine (as a separate gunicorn worker would); only the database serialises them."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        engine = make_engine(db_url)
        try:
            log = AuditLog(SqlAuditRepository(engine), lambda: datetime.now(UTC), KEY)
            barrier.wait(timeout=30)
            for i in range(PER_THREAD):
                log.record("acme", f"worker-{n}", f"user-{i}", "recovery.start", "ok", {"n": n, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    engine = make_engine(db_url)
    try:
        result = AuditLog(SqlAuditRepository(engine), lambda: T0, KEY).verify()
        stored = rows(engine)
    finally:
        engine.dispose()
    assert result.ok, result.broken
    assert result.checked == THREADS * PER_THREAD
    assert [row["id"] for row in stored] == list(range(1, THREADS * PER_THREAD + 1))
    assert len({row["prev_hash"] for row in stored}) == len(stored)  # no fork
    for n in range(THREADS):
        assert sorted(row["detail"]["i"] for row in stored if row["actor"] == f"worker-{n}") == list(range(PER_THREAD))


def test_one_writer_waits_for_another(db_url: str, engine: Engine) -> None:
    """While another connection holds the write lock, a record waits (it does not read a stale last row)."""
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    done = threading.Event()

    def write() -> None:
        AuditLog(SqlAuditRepository(engine), lambda: T0, KEY).record("acme", "bridge", "u", "recovery.start", "ok")
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not done.wait(0.5)
        holder.execute(
            INSERT_ROW,
            (1, "2025-11-28 09:00:00.000000", "acme", "x", None, "a", "ok", None, None, None, GENESIS, "a" * 64, None),
        )
    finally:
        holder.execute("COMMIT")
        holder.close()
    writer.join(timeout=10)
    assert done.is_set()
    assert rows(engine)[1]["prev_hash"] == "a" * 64  # chained onto what the holder wrote


# --- migration 0004 -------------------------------------------------------------------------------------------

LEGACY_ROWS = [
    (1, "2025-11-27 10:00:00.000000", "acme", "bridge", "u1", "backup_code.verify", "accepted",
     '{"attempt": "a.b", "remaining": 4}', "192.0.2.1", "Mozilla/5.0"),
    (2, "2025-11-27 10:00:01.250000", None, "cli:op", None, "realm_options.update", "ok",
     '{"changed": {"code_count": [10, 8]}, "name": "Zoë"}', None, None),
    (5, "2025-11-27 10:00:02.000000", "acme", "bridge", "u2", "bridge.token", "refused", None, None, None),
]  # fmt: skip


def test_migration_chains_the_rows_that_predate_it(tmp_path: Path, tick: FakeClock) -> None:
    db = tmp_path / "legacy.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url, "0003_backup_email")
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO audit_events (id, occurred_at, realm, actor, subject, action, outcome, detail, ip,"
            " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            LEGACY_ROWS,
        )
    migrate.upgrade(url)

    engine = make_engine(url)
    try:
        audit = AuditLog(SqlAuditRepository(engine), tick, KEY)
        stored = rows(engine)
        assert [row["id"] for row in stored] == [1, 2, 5]  # kept, gap and all
        assert stored[0]["prev_hash"] == GENESIS
        assert stored[1]["prev_hash"] == stored[0]["hash"] and stored[2]["prev_hash"] == stored[1]["hash"]
        assert stored[1]["hash"] == chain_hash(stored[0]["hash"], stored[1])
        assert (audit.verify().ok, audit.verify().checked) == (True, 3)

        audit.record("acme", "bridge", "u1", "recovery.start", "ok", {"methods": ["backup_code"]})
        new = rows(engine)[-1]
        assert (new["id"], new["prev_hash"]) == (6, stored[2]["hash"])
        result = audit.verify()
        assert (result.ok, result.checked, result.last_id) == (True, 4, 6)

        with engine.connect() as conn, pytest.raises(IntegrityError, match="append-only"):
            conn.exec_driver_sql("DELETE FROM audit_events WHERE id = 1")
    finally:
        engine.dispose()

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0008_desk_decisions",)]
        columns = {row[1]: row for row in conn.execute("PRAGMA table_info(policy_snapshots)")}
        assert set(columns) == {"realm", "taken_at", "taken_by", "snapshot"}
        assert columns["realm"][5] == 1  # primary key
        assert all(columns[name][3] == 1 for name in ("taken_at", "taken_by", "snapshot"))  # NOT NULL


def test_downgrade_to_0003_and_up_again(db_url: str, audit: AuditLog, tick: FakeClock) -> None:
    record_some(audit, tick, 3)
    migrate.downgrade(db_url, "0003_backup_email")
    db = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_events)")}
        assert not {"prev_hash", "hash"} & columns
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "policy_snapshots" not in tables
        conn.execute("UPDATE audit_events SET outcome = 'x' WHERE id = 3")  # no triggers at 0003
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        result = AuditLog(SqlAuditRepository(engine), tick, KEY).verify()
        assert (result.ok, result.checked) == (True, 3)
    finally:
        engine.dispose()


# --- append-only ----------------------------------------------------------------------------------------------


def test_the_database_refuses_update_and_delete(audit: AuditLog, engine: Engine, tick: FakeClock) -> None:
    record_some(audit, tick, 2)
    before = rows(engine)
    for statement in ("UPDATE audit_events SET outcome = 'accepted' WHERE id = 1", "DELETE FROM audit_events"):
        with engine.connect() as conn, pytest.raises(IntegrityError, match="audit_events is append-only"):
            conn.exec_driver_sql(statement)
    assert rows(engine) == before
    assert audit.verify().ok


# --- search and latest_for_subjects ---------------------------------------------------------------------------


@pytest.fixture
def trail(audit: AuditLog, tick: FakeClock) -> AuditLog:
    events = [
        ("acme", "bridge", "u1", "backup_code.verify", "accepted"),  # 1
        ("acme", "bridge", "u2", "backup_email.verified", "verified"),  # 2
        ("other", "bridge", "u1", "backup_code.verify", "rejected"),  # 3
        ("acme", "bridge", "u1", "backup_email.verification_sent", "sent"),  # 4
        ("acme", "bridge", "u1", "backupXemail.trap", "ok"),  # 5: "_" in a prefix is no wildcard
        ("acme", "cli:op", "u1", "realm_options.update", "ok"),  # 6
    ]
    for realm, actor, subject, action, outcome in events:
        audit.record(realm, actor, subject, action, outcome, {"n": 1}, ip="192.0.2.9", user_agent="UA")
        tick.advance(60)
    return audit


def ids(events: list[AuditEvent]) -> list[int]:
    return [event.id for event in events]


def test_search_filters_newest_first(trail: AuditLog) -> None:
    events, total = trail.search("acme")
    assert (ids(events), total) == ([6, 5, 4, 2, 1], 5)
    assert ids(trail.search("acme", subject="u1")[0]) == [6, 5, 4, 1]
    assert ids(trail.search("acme", actor="cli:op")[0]) == [6]
    assert ids(trail.search("acme", action="backup_code.verify")[0]) == [1]
    assert ids(trail.search("acme", action="backup_email.")[0]) == [4, 2]
    assert ids(trail.search("acme", action="backup_email")[0]) == []  # no "." at the end: exact
    assert ids(trail.search("acme", since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=4))[0]) == [4, 2]
    naive_since = (T0 + timedelta(minutes=3)).replace(tzinfo=None)
    assert ids(trail.search("acme", since=naive_since)[0]) == [6, 5, 4]
    assert ids(trail.search(None, subject="u1")[0]) == [6, 5, 4, 3, 1]
    assert trail.search("nowhere") == ([], 0)


def test_search_pages(trail: AuditLog) -> None:
    page, total = trail.search("acme", first=1, max=2)
    assert (ids(page), total) == ([5, 4], 5)
    page, total = trail.search("acme", first=4, max=2)
    assert (ids(page), total) == ([1], 5)
    assert trail.search("acme", first=9) == ([], 5)
    assert trail.search("acme", max=0) == ([], 5)
    for bad in (
        partial(trail.search, "acme", first=-1),
        partial(trail.search, "acme", max=-1),
        partial(trail.search, "acme", max=MAX_PAGE + 1),
    ):
        with pytest.raises(ValueError):
            bad()


def test_search_gives_plain_events(trail: AuditLog) -> None:
    [event], _ = trail.search("acme", actor="cli:op")
    assert event == AuditEvent(
        id=6,
        occurred_at=T0 + timedelta(minutes=5),
        realm="acme",
        actor="cli:op",
        subject="u1",
        action="realm_options.update",
        outcome="ok",
        detail={"n": 1},
        ip="192.0.2.9",
        user_agent="UA",
        prev_hash=event.prev_hash,
        hash=event.hash,
    )
    assert event.occurred_at.tzinfo == UTC and event.hash is not None and len(event.hash) == 64
    as_dict = event.as_dict()
    assert as_dict["occurred_at"] == "2025-11-28T09:05:00+00:00"
    assert "hash" not in as_dict
    json.dumps(as_dict)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_latest_recovery_per_user_in_one_query(audit: AuditLog, tick: FakeClock, statements: list[str]) -> None:
    for realm, subject, action, outcome in [
        ("acme", "u1", "backup_code.verify", "accepted"),  # 1
        ("acme", "u1", "email_code.verify", "rejected"),  # 2
        ("acme", "u1", "email_code.verify", "accepted"),  # 3: u1's last recovery
        ("acme", "u1", "backup_code.issue", "ok"),  # 4
        ("acme", "u2", "backup_code.verify", "rejected"),  # 5
        ("other", "u3", "backup_code.verify", "accepted"),  # 6
        ("acme", "u4", "backup_code.verify", "accepted"),  # 7: u4's
        ("acme", "u5", "email_code.verify", "accepted"),  # 8: not asked for
    ]:
        audit.record(realm, "bridge", subject, action, outcome, {"attempt": "x"})
        tick.advance(1)

    statements.clear()
    latest = audit.latest_for_subjects("acme", ["u1", "u2", "u3", "u4", "u1"])
    assert len(statements) == 1
    assert {user: event.id for user, event in latest.items()} == {"u1": 3, "u4": 7}
    assert (latest["u1"].action, latest["u1"].outcome, latest["u1"].subject) == (
        "email_code.verify",
        "accepted",
        "u1",
    )

    statements.clear()
    assert audit.latest_for_subjects("acme", []) == {}
    assert statements == []
    any_outcome = audit.latest_for_subjects("acme", ["u1", "u2"], ["backup_code."], outcome=None)
    assert {user: event.id for user, event in any_outcome.items()} == {"u1": 4, "u2": 5}
    assert {u: e.id for u, e in audit.latest_for_subjects("acme", ["u1"], "backup_code.verify").items()} == {"u1": 1}


# --- mfa-recovery audit ---------------------------------------------------------------------------------------


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data")}


def run_cli(environ: dict[str, str], args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, obj=CliContext(environ=environ))


def test_cli_verify_and_show(environ: dict[str, str]) -> None:
    svc = build_services(Settings.from_env(environ))
    try:
        for n, action in enumerate(["recovery.start", "backup_code.verify", "email_code.sent"]):
            svc.audit.record("acme", "bridge", f"u{n}", action, "ok", {"n": n})
        svc.audit.record("other", "bridge", "u9", "recovery.start", "ok")
        last_hash = svc.audit.verify().last_hash
    finally:
        svc.engine.dispose()

    intact = run_cli(environ, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert intact.stdout.splitlines() == ["audit chain intact: 4 events", f"head (keep it elsewhere): 4:{last_hash}"]
    kept = run_cli(environ, ["audit", "verify", "--expect-head", f"4:{last_hash}"])
    assert kept.exit_code == 0 and f"it runs through the head 4:{last_hash}" in kept.stdout, kept.output
    elsewhere = run_cli(environ, ["audit", "verify", "--expect-head", f"5:{last_hash}"])
    assert elsewhere.exit_code == 1 and "the chain ends before event 5" in elsewhere.stdout, elsewhere.output
    nonsense = run_cli(environ, ["audit", "verify", "--expect-head", "last"])
    assert nonsense.exit_code == 2 and "ID:HASH" in nonsense.output

    shown = run_cli(environ, ["audit", "show", "--realm", "acme", "--max", "2"])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == "3"
    assert "realm=acme actor=bridge subject=u2 email_code.sent ok" in lines[0] and lines[0].endswith('{"n": 2}')
    assert lines[1].split()[0] == "2"
    assert "# 2 of 3 events" in shown.stderr
    filtered = run_cli(environ, ["audit", "show", "--subject", "u9", "--action", "recovery."])
    assert [line.split()[0] for line in filtered.stdout.splitlines()] == ["4"]

    engine = make_engine(Settings.from_env(environ).database_url)
    try:
        tamper(engine, "UPDATE audit_events SET outcome = 'accepted' WHERE id = 2")
    finally:
        engine.dispose()
    broken = run_cli(environ, ["audit", "verify"])
    assert broken.exit_code == 1
    assert broken.stdout.splitlines()[0].startswith("audit chain broken at event 2 (changed): event 2 was changed")
    assert "events before it found intact: 1" in broken.stdout
    assert "Traceback" not in broken.output


# --- keyed and anchored -------------------------------------------------------------------------------------------


def test_without_the_key_a_forged_row_is_found_however_it_is_hashed(
    audit: AuditLog, engine: Engine, tick: FakeClock
) -> None:
    record_some(audit, tick)
    last = rows(engine)[-1]["hash"]
    # Plain SHA-256, correctly chained: what the chain alone let through before it was keyed.
    tamper(engine, forged_row(6, last, key=None))
    result = audit.verify()
    assert result.broken is not None and (result.bad_id, result.broken.kind) == (6, UNKEYED)


def test_a_row_keyed_with_a_guessed_key_is_found(audit: AuditLog, engine: Engine, tick: FakeClock) -> None:
    record_some(audit, tick)
    tamper(engine, forged_row(6, rows(engine)[-1]["hash"], key=b"a-guess-at-the-audit-key-0123456789"))
    result = audit.verify()
    assert result.broken is not None and (result.bad_id, result.broken.kind) == (6, CHANGED)


def test_rows_from_before_the_key_stay_valid_and_keyed_rows_follow_them(
    audit: AuditLog, engine: Engine, tick: FakeClock
) -> None:
    tamper(engine, forged_row(1, GENESIS, key=None))  # a row as written before the key existed
    record_some(audit, tick, 2)
    assert [row["hash_scheme"] for row in rows(engine)] == [None, KEYED, KEYED]
    assert audit.verify().ok


def test_the_head_kept_elsewhere_catches_a_cut_end_and_a_rewrite(
    audit: AuditLog, engine: Engine, tick: FakeClock
) -> None:
    record_some(audit, tick)
    head = audit.head()
    assert head is not None and head.id == 5 and str(head) == f"5:{rows(engine)[-1]['hash']}"
    assert audit.verify(expect_head=head).ok
    record_some(audit, tick, 1)
    assert audit.verify(expect_head=head).ok, "the chain grew past the head: fine"

    tamper(engine, "DELETE FROM audit_events WHERE id >= 5")  # the newest rows removed: the chain alone holds
    assert audit.verify().ok
    cut = audit.verify(expect_head=head)
    assert cut.broken is not None and (cut.bad_id, cut.broken.kind) == (5, CUT)

    tamper(engine, forged_row(5, rows(engine)[-1]["hash"]))  # an insider with the key writes a new event 5
    rewritten = audit.verify(expect_head=head)
    assert rewritten.broken is not None and (rewritten.bad_id, rewritten.broken.kind) == (5, NOT_THE_HEAD)


def test_a_head_is_id_colon_hash() -> None:
    assert Head.parse(f"12:{'a' * 64}") == Head(12, "a" * 64)
    for text in ("12", f"x:{'a' * 64}", "12:abc", f"12:{'A' * 64}"):
        with pytest.raises(ValueError):
            Head.parse(text)
