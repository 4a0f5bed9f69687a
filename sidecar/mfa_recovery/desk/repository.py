"""What the recovery desk needs from storage (:class:`DeskRepository`): cases and their documents' metadata (which
vault file holds each, never the content); and its SQL implementation on ``desk_cases`` and ``desk_documents``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Engine, delete, insert, select, update

from ..store.tables import desk_approvals, desk_cases, desk_documents, desk_notes
from ..store.transactions import Transaction, joined
from .intake import DocumentKind

# A case's status: open until an operator decides.
OPEN = "open"
APPROVED = "approved"
REJECTED = "rejected"
DECISIONS = (APPROVED, REJECTED)

# What became of the look-up of the account in Keycloak when the case was filed.
MATCHED = "matched"
NO_MATCH = "no_match"
UNAVAILABLE = "unavailable"  # Keycloak could not be asked (down, or no such realm)


def account_key(account: str) -> str:
    """The account as the per-account limit counts it: case-folded (Keycloak's usernames and addresses ignore
    case), at most the column's 255 characters."""
    return account.casefold()[:255]


@dataclass(frozen=True)
class NewDocument:
    """A document to record with its case: what it is, and the vault file that holds it sealed."""

    id: str
    kind: DocumentKind
    media_type: str
    size: int  # bytes of the content kept (an image after re-encoding)
    file_name: str


@dataclass(frozen=True)
class NewCase:
    """A case as it is filed."""

    id: str
    case_number: str
    realm: str
    account: str
    organisation: str
    phone: str
    kvk_number: str
    language: str
    ip: str | None
    user_agent: str | None
    created_at: datetime
    ocr_checked: bool
    account_lookup: str  # MATCHED | NO_MATCH | UNAVAILABLE
    matched_user_id: str | None


@dataclass(frozen=True)
class Case(NewCase):
    """A case as stored: as filed, and what became of it."""

    status: str = OPEN
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    documents_deleted_at: datetime | None = None


@dataclass(frozen=True)
class CaseDocument:
    """A document's row."""

    id: str
    case_id: str
    kind: DocumentKind
    media_type: str
    size: int
    file_name: str
    created_at: datetime


@dataclass(frozen=True)
class Approval:
    """A first approval of a case in a realm with four-eyes: which operator approved resetting which user."""

    case_id: str
    operator_id: str  # the operator's Keycloak user id
    operator: str  # as the audit trail names them
    user_id: str
    reason: str
    approved_at: datetime


@dataclass(frozen=True)
class Note:
    """An operator's note on a case."""

    id: str
    case_id: str
    operator: str
    text: str
    created_at: datetime


class DeskRepository(Protocol):
    """The desk's cases and their documents. Each method is one transaction of its own, unless ``within`` names an
    open one it joins."""

    def add(self, case: NewCase, documents: Sequence[NewDocument], within: Transaction | None = None) -> None:
        """Insert the case and its documents, together."""

    def filed_since(
        self, realm: str, account: str, since: datetime, within: Transaction | None = None
    ) -> list[datetime]:
        """When the cases for this account of the realm (compared by :func:`account_key`) filed after ``since``
        were filed, oldest first."""

    def get(self, case_id: str) -> Case | None:
        """The case; None when there is none with that id."""

    def find_by_number(self, case_number: str) -> Case | None:
        """The case with this (normalised, grouped) number."""

    def documents(self, case_id: str, within: Transaction | None = None) -> list[CaseDocument]:
        """The case's documents still kept, in kind order."""

    def decide(
        self,
        case_id: str,
        status: str,
        decided_at: datetime,
        decided_by: str,
        reason: str | None,
        within: Transaction | None = None,
    ) -> bool:
        """Record the decision (``APPROVED`` or ``REJECTED``) on an open case; False when the case is not open
        (decided already, or gone): of two concurrent decisions one counts."""

    def open_cases(self) -> list[Case]:
        """The cases still open, oldest first."""

    def add_approval(self, approval: Approval, within: Transaction | None = None) -> bool:
        """Record a first approval; False when this operator approved the case already."""

    def approvals(self, case_id: str, within: Transaction | None = None) -> list[Approval]:
        """The case's recorded approvals, oldest first."""

    def add_note(self, note: Note, within: Transaction | None = None) -> None: ...

    def notes(self, case_id: str) -> list[Note]:
        """The case's notes, oldest first."""

    def decided_with_documents(self) -> list[Case]:
        """Decided cases whose documents have not been deleted yet, oldest decision first."""

    def filed_before(self, moment: datetime) -> list[Case]:
        """Cases filed before ``moment`` (whatever their status), oldest first."""

    def delete_documents(self, case_id: str, deleted_at: datetime, within: Transaction | None = None) -> int:
        """Delete the case's document rows and note when on the case; returns how many rows went."""

    def delete_case(self, case_id: str, within: Transaction | None = None) -> bool:
        """Delete the case with any document rows left; False when it was gone already."""

    def file_names(self) -> set[str]:
        """The vault file names every document row names (to tell files nobody refers to)."""


class SqlDeskRepository:
    """:class:`DeskRepository` in the ``desk_cases`` and ``desk_documents`` tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, case: NewCase, documents: Sequence[NewDocument], within: Transaction | None = None) -> None:
        with joined(self._engine, within) as conn:
            conn.execute(
                insert(desk_cases).values(
                    id=case.id,
                    case_number=case.case_number,
                    status=OPEN,
                    realm=case.realm,
                    account=case.account,
                    account_key=account_key(case.account),
                    organisation=case.organisation,
                    phone=case.phone,
                    kvk_number=case.kvk_number,
                    language=case.language,
                    ip=case.ip,
                    user_agent=case.user_agent,
                    created_at=case.created_at,
                    ocr_checked=case.ocr_checked,
                    account_lookup=case.account_lookup,
                    matched_user_id=case.matched_user_id,
                )
            )
            if documents:
                conn.execute(
                    insert(desk_documents),
                    [
                        {
                            "id": document.id,
                            "case_id": case.id,
                            "kind": document.kind.value,
                            "media_type": document.media_type,
                            "size": document.size,
                            "file_name": document.file_name,
                            "created_at": case.created_at,
                        }
                        for document in documents
                    ],
                )

    def filed_since(
        self, realm: str, account: str, since: datetime, within: Transaction | None = None
    ) -> list[datetime]:
        query = (
            select(desk_cases.c.created_at)
            .where(desk_cases.c.realm == realm, desk_cases.c.account_key == account_key(account))
            .where(desk_cases.c.created_at > since)
            .order_by(desk_cases.c.created_at)
        )
        with joined(self._engine, within) as conn:
            return [_utc(moment) for moment in conn.execute(query).scalars()]

    def get(self, case_id: str) -> Case | None:
        return self._one(desk_cases.c.id == case_id)

    def find_by_number(self, case_number: str) -> Case | None:
        return self._one(desk_cases.c.case_number == case_number)

    def _one(self, condition: ColumnElement[bool]) -> Case | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(desk_cases).where(condition)).first()
        return None if row is None else _case(row._mapping)

    def documents(self, case_id: str, within: Transaction | None = None) -> list[CaseDocument]:
        query = select(desk_documents).where(desk_documents.c.case_id == case_id)
        with joined(self._engine, within) as conn:
            rows = [row._mapping for row in conn.execute(query)]
        order = list(DocumentKind)
        found = [
            CaseDocument(
                id=row["id"],
                case_id=row["case_id"],
                kind=DocumentKind(row["kind"]),
                media_type=row["media_type"],
                size=row["size"],
                file_name=row["file_name"],
                created_at=_utc(row["created_at"]),
            )
            for row in rows
        ]
        return sorted(found, key=lambda document: order.index(document.kind))

    def decide(
        self,
        case_id: str,
        status: str,
        decided_at: datetime,
        decided_by: str,
        reason: str | None,
        within: Transaction | None = None,
    ) -> bool:
        if status not in DECISIONS:
            raise ValueError(f"a decision is one of {', '.join(DECISIONS)}, got {status!r}")
        statement = (
            update(desk_cases)
            .where(desk_cases.c.id == case_id, desk_cases.c.status == OPEN)
            .values(status=status, decided_at=decided_at, decided_by=decided_by, decision_reason=reason)
        )
        with joined(self._engine, within) as conn:
            return conn.execute(statement).rowcount == 1

    def open_cases(self) -> list[Case]:
        query = select(desk_cases).where(desk_cases.c.status == OPEN).order_by(desk_cases.c.created_at, desk_cases.c.id)
        with self._engine.connect() as conn:
            return [_case(row._mapping) for row in conn.execute(query)]

    def add_approval(self, approval: Approval, within: Transaction | None = None) -> bool:
        taken = select(desk_approvals.c.case_id).where(
            desk_approvals.c.case_id == approval.case_id, desk_approvals.c.operator_id == approval.operator_id
        )
        with joined(self._engine, within) as conn:
            if conn.execute(taken).first() is not None:
                return False
            conn.execute(
                insert(desk_approvals).values(
                    case_id=approval.case_id,
                    operator_id=approval.operator_id,
                    operator=approval.operator,
                    user_id=approval.user_id,
                    reason=approval.reason,
                    approved_at=approval.approved_at,
                )
            )
            return True

    def approvals(self, case_id: str, within: Transaction | None = None) -> list[Approval]:
        query = (
            select(desk_approvals)
            .where(desk_approvals.c.case_id == case_id)
            .order_by(desk_approvals.c.approved_at, desk_approvals.c.operator_id)
        )
        with joined(self._engine, within) as conn:
            rows = [row._mapping for row in conn.execute(query)]
        return [
            Approval(
                case_id=row["case_id"],
                operator_id=row["operator_id"],
                operator=row["operator"],
                user_id=row["user_id"],
                reason=row["reason"],
                approved_at=_utc(row["approved_at"]),
            )
            for row in rows
        ]

    def add_note(self, note: Note, within: Transaction | None = None) -> None:
        with joined(self._engine, within) as conn:
            conn.execute(
                insert(desk_notes).values(
                    id=note.id, case_id=note.case_id, operator=note.operator, text=note.text, created_at=note.created_at
                )
            )

    def notes(self, case_id: str) -> list[Note]:
        query = select(desk_notes).where(desk_notes.c.case_id == case_id).order_by(desk_notes.c.created_at)
        with self._engine.connect() as conn:
            rows = [row._mapping for row in conn.execute(query)]
        return [
            Note(
                id=row["id"],
                case_id=row["case_id"],
                operator=row["operator"],
                text=row["text"],
                created_at=_utc(row["created_at"]),
            )
            for row in rows
        ]

    def decided_with_documents(self) -> list[Case]:
        query = (
            select(desk_cases)
            .where(desk_cases.c.status != OPEN, desk_cases.c.documents_deleted_at.is_(None))
            .order_by(desk_cases.c.decided_at, desk_cases.c.id)
        )
        with self._engine.connect() as conn:
            return [_case(row._mapping) for row in conn.execute(query)]

    def filed_before(self, moment: datetime) -> list[Case]:
        query = select(desk_cases).where(desk_cases.c.created_at < moment).order_by(desk_cases.c.created_at)
        with self._engine.connect() as conn:
            return [_case(row._mapping) for row in conn.execute(query)]

    def delete_documents(self, case_id: str, deleted_at: datetime, within: Transaction | None = None) -> int:
        with joined(self._engine, within) as conn:
            gone = conn.execute(delete(desk_documents).where(desk_documents.c.case_id == case_id)).rowcount
            conn.execute(
                update(desk_cases)
                .where(desk_cases.c.id == case_id, desk_cases.c.documents_deleted_at.is_(None))
                .values(documents_deleted_at=deleted_at)
            )
            return gone

    def delete_case(self, case_id: str, within: Transaction | None = None) -> bool:
        with joined(self._engine, within) as conn:
            conn.execute(delete(desk_documents).where(desk_documents.c.case_id == case_id))
            conn.execute(delete(desk_approvals).where(desk_approvals.c.case_id == case_id))
            conn.execute(delete(desk_notes).where(desk_notes.c.case_id == case_id))
            return conn.execute(delete(desk_cases).where(desk_cases.c.id == case_id)).rowcount == 1

    def file_names(self) -> set[str]:
        with self._engine.connect() as conn:
            return set(conn.execute(select(desk_documents.c.file_name)).scalars())


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every one the desk writes is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _case(row: Any) -> Case:
    def maybe(moment: datetime | None) -> datetime | None:
        return None if moment is None else _utc(moment)

    return Case(
        id=row["id"],
        case_number=row["case_number"],
        realm=row["realm"],
        account=row["account"],
        organisation=row["organisation"],
        phone=row["phone"],
        kvk_number=row["kvk_number"],
        language=row["language"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        created_at=_utc(row["created_at"]),
        ocr_checked=bool(row["ocr_checked"]),
        account_lookup=row["account_lookup"],
        matched_user_id=row["matched_user_id"],
        status=row["status"],
        decided_at=maybe(row["decided_at"]),
        decided_by=row["decided_by"],
        decision_reason=row["decision_reason"],
        documents_deleted_at=maybe(row["documents_deleted_at"]),
    )
