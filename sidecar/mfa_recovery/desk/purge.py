"""Deleting what the desk no longer needs (``mfa-recovery desk purge``, for cron or a Kubernetes CronJob).

Each run, in this order:

1. **The documents of decided cases** (approved or rejected): their files, then their rows, noting on the case when
   (``documents_deleted_at``). The case itself stays until its retention ends, so operators still see what was
   decided.
2. **Whole cases older than the retention period** (``MFA_RECOVERY_DESK_RETENTION_DAYS``, counted from filing,
   whatever their status): files, document rows and the case row.
3. **Files no row refers to**, older than :data:`ORPHAN_GRACE`: left by a process that died between sealing a
   request's documents and committing its case (younger ones may belong to a request being filed right now).

Files go first, then rows: a run that stops halfway leaves rows whose files are gone, which the next run deletes
(deleting a missing file is no error). Each deletion writes its row in the audit trail, in the transaction that
deletes the rows, and only when this run deleted them, so two runs at once do not both record one deletion.
Running it again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..audit.log import AuditedTransaction, AuditTransactions
from .repository import OPEN, Case, DeskRepository
from .vault import VaultFiles

logger = logging.getLogger(__name__)

ORPHAN_GRACE = timedelta(hours=1)
DELETED = "deleted"


@dataclass(frozen=True)
class DeletedDocuments:
    case_number: str
    status: str
    documents: int


@dataclass(frozen=True)
class DeletedCase:
    case_number: str
    status: str
    filed_at: datetime
    documents: int


@dataclass
class PurgeReport:
    """What one run did; ``failures``: what it could not delete (it will try again next run)."""

    documents: list[DeletedDocuments] = field(default_factory=list)
    cases: list[DeletedCase] = field(default_factory=list)
    orphan_files: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def did_nothing(self) -> bool:
        return not (self.documents or self.cases or self.orphan_files or self.failures)


class DeskPurge:
    def __init__(
        self,
        repository: DeskRepository,
        files: VaultFiles,
        audit: AuditTransactions,
        clock: Callable[[], datetime],
        *,
        retention_days: int,
        orphan_grace: timedelta = ORPHAN_GRACE,
    ) -> None:
        """``files``: the vault's directory (no key needed to delete, so the purge runs with the desk off too)."""
        self._repository = repository
        self._files = files
        self._audit = audit
        self._clock = clock
        self.retention_days = retention_days
        self._orphan_grace = orphan_grace

    def run(self, actor: str) -> PurgeReport:
        """One pass; ``actor`` names who runs it in the audit trail (``cli:<user>``)."""
        report = PurgeReport()
        now = self._clock()
        for case in self._repository.decided_with_documents():
            self._delete_documents(case, actor, report)
        for case in self._repository.filed_before(now - timedelta(days=self.retention_days)):
            self._delete_case(case, actor, report)
        self._delete_orphans(actor, now, report)
        return report

    def delete_documents_of(self, case_id: str, actor: str) -> PurgeReport:
        """Delete the documents of one decided case now (what the operators' decision should call right after
        recording it, rather than wait for the next run); an open case keeps them."""
        report = PurgeReport()
        case = self._repository.get(case_id)
        if case is None or case.status == OPEN:
            return report
        self._delete_documents(case, actor, report)
        return report

    def _delete_files(self, case: Case, report: PurgeReport) -> list[str] | None:
        """Delete the case's files; the kinds of its documents, or None (noted in ``report``) when a file stays."""
        documents = self._repository.documents(case.id)
        try:
            for document in documents:
                self._files.delete(document.file_name)
        except (OSError, ValueError) as exc:
            logger.error("desk purge: case %s: cannot delete a document file: %s", case.case_number, exc)
            report.failures.append(f"case {case.case_number}: cannot delete a document file: {exc}")
            return None
        return [document.kind.value for document in documents]

    def _delete_documents(self, case: Case, actor: str, report: PurgeReport) -> None:
        kinds = self._delete_files(case, report)
        if kinds is None:
            return
        with self._audit.transaction() as audited:
            gone = self._repository.delete_documents(case.id, self._clock(), within=audited.transaction)
            if gone:
                _record_deletion(audited, case, actor, "desk.documents_deleted", kinds, {"reason": "decided"})
        if gone:
            report.documents.append(DeletedDocuments(case.case_number, case.status, gone))

    def _delete_case(self, case: Case, actor: str, report: PurgeReport) -> None:
        kinds = self._delete_files(case, report)
        if kinds is None:
            return
        with self._audit.transaction() as audited:
            gone = self._repository.delete_case(case.id, within=audited.transaction)
            if gone:
                reason = {"reason": "retention", "retention_days": self.retention_days,
                          "filed_at": case.created_at.isoformat()}  # fmt: skip
                _record_deletion(audited, case, actor, "desk.case_deleted", kinds, reason)
        if gone:
            report.cases.append(DeletedCase(case.case_number, case.status, case.created_at, len(kinds)))

    def _delete_orphans(self, actor: str, now: datetime, report: PurgeReport) -> None:
        referred = self._repository.file_names()
        deleted = 0
        for entry in self._files.entries():
            if entry.name in referred or entry.modified_at > now - self._orphan_grace:
                continue
            try:
                deleted += self._files.delete(entry.name)
            except OSError as exc:
                logger.error("desk purge: cannot delete the file %s: %s", entry.name, exc)
                report.failures.append(f"file {entry.name}: cannot delete it: {exc}")
        if deleted:
            self._audit.record(
                realm=None,
                actor=actor,
                subject=None,
                action="desk.orphan_files_deleted",
                outcome=DELETED,
                detail={"files": deleted},
            )
        report.orphan_files = deleted


def _record_deletion(
    audited: AuditedTransaction, case: Case, actor: str, action: str, kinds: list[str], why: dict[str, Any]
) -> None:
    """The audit row of a deletion: which case, in which state, which kinds of document, and why."""
    detail = {"case_id": case.id, "case_number": case.case_number, **why, "status": case.status, "documents": kinds}
    audited.record(
        realm=case.realm, actor=actor, subject=case.matched_user_id, action=action, outcome=DELETED, detail=detail
    )
