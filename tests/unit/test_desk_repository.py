"""The desk's store: the schema (migration 0007), what the database itself refuses, and the repository."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from mfa_recovery.audit.log import AuditLog
from mfa_recovery.audit.repository import SqlAuditRepository
from mfa_recovery.desk.case_numbers import new_case_number, normalise_case_number
from mfa_recovery.desk.intake import DocumentKind
from mfa_recovery.desk.repository import (
    APPROVED,
    MATCHED,
    OPEN,
    REJECTED,
    NewCase,
    NewDocument,
    SqlDeskRepository,
    account_key,
)
from mfa_recovery.store import migrate
from mfa_recovery.store.engine import make_engine

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
CASE_NUMBER = "7G2K-M9QX-3TBW"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def engine(db: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{db}")
    yield engine
    engine.dispose()


@pytest.fixture
def repository(engine: Engine) -> SqlDeskRepository:
    return SqlDeskRepository(engine)


def new_case(number: int = 1, **changes: object) -> NewCase:
    values: dict[str, object] = {
        "id": f"{number:032x}",
        "case_number": CASE_NUMBER if number == 1 else new_case_number(),
        "realm": "acme",
        "account": "JDoe",
        "organisation": "Acme B.V.",
        "phone": "+31 20 123 4567",
        "kvk_number": "12345678",
        "language": "nl",
        "ip": "198.51.100.7",
        "user_agent": "Mozilla/5.0",
        "created_at": NOW,
        "ocr_checked": True,
        "account_lookup": MATCHED,
        "matched_user_id": "user-1",
    }
    values.update(changes)
    return NewCase(**values)  # type: ignore[arg-type]


def new_documents(number: int = 1) -> list[NewDocument]:
    return [
        NewDocument(f"{number:030x}{i:02x}", kind, "image/jpeg", 1000 + i, f"{number:030x}{i:02x}.bin")
        for i, kind in enumerate(reversed(DocumentKind))
    ]


# --- the schema and what the database refuses -----------------------------------------------------------------------


def columns(db: Path, table: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def test_the_schema_holds_no_document_content(db: Path) -> None:
    assert columns(db, "desk_documents") == {
        "id", "case_id", "kind", "media_type", "size", "file_name", "created_at",
    }  # fmt: skip
    assert columns(db, "desk_cases") == {
        "id", "case_number", "status", "realm", "account", "account_key", "organisation", "phone", "kvk_number",
        "language", "ip", "user_agent", "created_at", "ocr_checked", "account_lookup", "matched_user_id",
        "decided_at", "decided_by", "decision_reason", "documents_deleted_at",
    }  # fmt: skip


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE desk_cases SET status = 'maybe'",
        "UPDATE desk_cases SET status = 'approved'",  # decided without a moment
        "UPDATE desk_cases SET decided_at = '2026-12-03'",  # a moment without a decision
        "UPDATE desk_cases SET account_lookup = 'perhaps'",
        "UPDATE desk_documents SET kind = 'passport'",
        "INSERT INTO desk_documents (id, case_id, kind, media_type, size, file_name, created_at)"
        " VALUES ('x', 'no-such-case', 'selfie', 'image/jpeg', 1, 'y.bin', '2026-12-03')",
    ],
)
def test_the_database_refuses_what_cannot_be(repository: SqlDeskRepository, db: Path, statement: str) -> None:
    repository.add(new_case(), new_documents())
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(statement)


def test_a_case_number_and_a_file_are_used_once(repository: SqlDeskRepository) -> None:
    repository.add(new_case(), new_documents())
    with pytest.raises(IntegrityError):
        repository.add(new_case(2, case_number=CASE_NUMBER), [])
    with pytest.raises(IntegrityError):
        repository.add(
            new_case(3), [NewDocument("z" * 32, DocumentKind.SELFIE, "image/jpeg", 1, new_documents()[0].file_name)]
        )
    assert repository.get(f"{3:032x}") is None  # the case went with its document
    kinds_twice = [*new_documents(4), NewDocument("w" * 32, DocumentKind.SELFIE, "image/jpeg", 1, "w" * 32 + ".bin")]
    with pytest.raises(IntegrityError):
        repository.add(new_case(4), kinds_twice)


def test_downgrade_to_0006_and_up_again(db: Path) -> None:
    url = f"sqlite:///{db}"
    migrate.downgrade(url, "0006_keyed_audit_chain")
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not {"desk_cases", "desk_documents"} & tables
    migrate.upgrade(url)
    assert "case_number" in columns(db, "desk_cases")


# --- the repository ------------------------------------------------------------------------------------------------


def test_a_case_and_its_documents_as_stored(repository: SqlDeskRepository) -> None:
    hostile = "'; DROP TABLE desk_cases; -- ☃"
    repository.add(new_case(organisation=hostile), new_documents())
    case = repository.get(f"{1:032x}")
    assert case is not None
    assert (case.status, case.organisation, case.account, case.created_at) == (OPEN, hostile, "JDoe", NOW)
    assert (case.decided_at, case.documents_deleted_at, case.ocr_checked) == (None, None, True)
    assert repository.find_by_number(CASE_NUMBER) == case
    assert repository.find_by_number("0000-0000-0000") is None
    documents = repository.documents(case.id)
    assert [document.kind for document in documents] == list(DocumentKind)
    assert {document.file_name for document in documents} == repository.file_names()
    assert all(document.created_at == NOW and document.case_id == case.id for document in documents)


def test_filed_since_counts_the_account_whatever_its_case(repository: SqlDeskRepository) -> None:
    repository.add(new_case(1, account="JDoe", created_at=NOW - timedelta(hours=30)), [])
    repository.add(new_case(2, account="jdoe", created_at=NOW - timedelta(hours=2)), [])
    repository.add(new_case(3, account="JDOE", created_at=NOW - timedelta(hours=1)), [])
    repository.add(new_case(4, account="jdoe", realm="other", created_at=NOW), [])
    repository.add(new_case(5, account="someone", created_at=NOW), [])
    since = repository.filed_since("acme", "jDoE", NOW - timedelta(days=1))
    assert since == [NOW - timedelta(hours=2), NOW - timedelta(hours=1)]
    assert account_key("İstanbul") == "i̇stanbul" and account_key("x" * 300) == "x" * 255


def test_decide_once(repository: SqlDeskRepository) -> None:
    repository.add(new_case(), new_documents())
    case_id = f"{1:032x}"
    with pytest.raises(ValueError):
        repository.decide(case_id, OPEN, NOW, "operator", None)
    assert repository.decide(case_id, APPROVED, NOW, "operator", "called back, all fine") is True
    assert repository.decide(case_id, REJECTED, NOW, "other operator", None) is False
    case = repository.get(case_id)
    assert case is not None and (case.status, case.decided_by, case.decision_reason) == (
        APPROVED, "operator", "called back, all fine",
    )  # fmt: skip
    assert repository.decide("no-such-case", APPROVED, NOW, "operator", None) is False


def test_what_the_purge_finds_and_deletes(repository: SqlDeskRepository) -> None:
    for number in (1, 2, 3):
        repository.add(new_case(number, created_at=NOW - timedelta(days=number * 10)), new_documents(number))
    repository.decide(f"{2:032x}", REJECTED, NOW, "operator", None)
    repository.decide(f"{3:032x}", APPROVED, NOW - timedelta(hours=1), "operator", None)
    assert [case.id for case in repository.decided_with_documents()] == [f"{3:032x}", f"{2:032x}"]
    assert repository.delete_documents(f"{3:032x}", NOW) == 3
    assert repository.delete_documents(f"{3:032x}", NOW + timedelta(days=1)) == 0
    gone = repository.get(f"{3:032x}")
    assert gone is not None and gone.documents_deleted_at == NOW  # the first deletion's moment stays
    assert repository.documents(f"{3:032x}") == []
    assert [case.id for case in repository.decided_with_documents()] == [f"{2:032x}"]
    assert [case.id for case in repository.filed_before(NOW - timedelta(days=15))] == [f"{3:032x}", f"{2:032x}"]
    assert repository.delete_case(f"{2:032x}") is True
    assert repository.delete_case(f"{2:032x}") is False
    assert repository.get(f"{2:032x}") is None and repository.documents(f"{2:032x}") == []
    assert repository.file_names() == {document.file_name for document in new_documents(1)}


def test_a_case_added_within_a_transaction_goes_with_it(engine: Engine, repository: SqlDeskRepository) -> None:
    audit = AuditLog(SqlAuditRepository(engine), lambda: NOW, b"k" * 32)
    with pytest.raises(RuntimeError), audit.transaction() as audited:
        repository.add(new_case(), new_documents(), within=audited.transaction)
        audited.record("acme", "desk", None, "desk.request_filed", "filed")
        raise RuntimeError("something after it failed")
    assert repository.get(f"{1:032x}") is None and repository.file_names() == set()
    assert audit.recent() == []


# --- case numbers --------------------------------------------------------------------------------------------------


def test_case_numbers_are_grouped_random_and_read_back_forgivingly() -> None:
    numbers = {new_case_number() for _ in range(1000)}
    assert len(numbers) == 1000
    for number in numbers:
        assert len(number) == 14 and number[4] == number[9] == "-"
        assert normalise_case_number(number) == number
        assert normalise_case_number(number.lower().replace("-", " ")) == number
    assert normalise_case_number("7g2k m9qx 3tbw") == "7G2K-M9QX-3TBW"
    assert normalise_case_number("OIL0-0000-0000") == "0110-0000-0000"


@pytest.mark.parametrize("text", ["", "7G2K-M9QX-3TB", "7G2K-M9QX-3TBWX", "7G2K-M9QX-3TBU", "7G2K_M9QX_3TBW", "١٢٣٤"])
def test_what_is_no_case_number(text: str) -> None:
    assert normalise_case_number(text) is None
