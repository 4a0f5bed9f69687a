"""The desk's purge: a tampered store or directory first, then what goes when (decided, past retention, orphaned),
the audit rows, running twice, and ``mfa-recovery desk purge``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import Settings
from mfa_recovery.desk.repository import APPROVED, REJECTED, Case, SqlDeskRepository
from mfa_recovery.desk.vault import VaultFiles
from mfa_recovery.services import Services, build_services
from mfa_recovery.store.tables import desk_documents
from tests.support.desk_files import recovery_request

from .conftest import Wiring
from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .support import DEV_ENV, EMPLOYEE, PEPPER

ACTOR = "cli:operator"


def no_bsn(_image: bytes) -> list[str] | None:
    return []


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {
        **DEV_ENV,
        "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"),
        "MFA_RECOVERY_CODE_PEPPER": PEPPER,
        "MFA_RECOVERY_NOTIFICATIONS": "off",
        "MFA_RECOVERY_DESK_RETENTION_DAYS": "30",
    }


@pytest.fixture
def desk(environ: dict[str, str], wiring: Wiring) -> Iterator[Services]:
    services = build_services(Settings.from_env(environ), **wiring, read_bsns=no_bsn)
    yield services
    services.engine.dispose()


def file_case(services: Services, account: str = "jdoe") -> Case:
    assert services.desk_intake is not None
    number = services.desk_intake.file(recovery_request(account=account, ip=None)).case_number
    case = SqlDeskRepository(services.engine).find_by_number(number)
    assert case is not None
    return case


def decide(services: Services, case: Case, status: str = APPROVED) -> None:
    assert SqlDeskRepository(services.engine).decide(case.id, status, services.clock(), "operator", "checked")


def files(services: Services) -> set[str]:
    return {entry.name for entry in VaultFiles(services.settings.desk_dir).entries()}


def file_names(services: Services, case: Case) -> set[str]:
    return {document.file_name for document in SqlDeskRepository(services.engine).documents(case.id)}


def purge_events(services: Services) -> list[dict[str, Any]]:
    return [event for event in reversed(services.audit.recent(1000)) if event["action"].startswith("desk.") and
            event["action"] != "desk.request_filed"]  # fmt: skip


# --- a tampered store or directory ---------------------------------------------------------------------------------


def test_a_row_naming_a_file_outside_the_vault_deletes_nothing_there(desk: Services, tmp_path: Path) -> None:
    case = file_case(desk)
    decide(desk, case)
    victim = tmp_path / "data" / "mfa-recovery.db"
    assert victim.exists()
    with desk.engine.begin() as conn:
        conn.execute(
            update(desk_documents).where(desk_documents.c.kind == "selfie").values(file_name="../mfa-recovery.db")
        )
    report = desk.desk_purge.run(ACTOR)
    assert victim.exists()
    assert report.documents == [] and len(report.failures) == 1 and "not a vault file name" in report.failures[0]
    assert purge_events(desk) == []


def test_what_is_not_the_vaults_stays_in_its_directory(desk: Services, clock: FakeClock, tmp_path: Path) -> None:
    file_case(desk)
    directory = desk.settings.desk_dir
    (directory / "README").write_text("keep me")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me too")
    (directory / ("e" * 32 + ".bin")).symlink_to(outside)
    clock.advance(7200)
    desk.desk_purge.run(ACTOR)
    assert (directory / "README").exists() and outside.exists() and (directory / ("e" * 32 + ".bin")).is_symlink()


def test_a_file_that_cannot_be_deleted_keeps_its_rows_for_the_next_run(
    desk: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = file_case(desk)
    decide(desk, case)
    original = VaultFiles.delete

    def stuck(self: VaultFiles, name: str) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(VaultFiles, "delete", stuck)
    report = desk.desk_purge.run(ACTOR)
    assert report.documents == [] and report.failures and "Permission denied" in report.failures[0]
    assert len(file_names(desk, case)) == 3 and purge_events(desk) == []
    monkeypatch.setattr(VaultFiles, "delete", original)
    assert len(desk.desk_purge.run(ACTOR).documents) == 1
    assert files(desk) == set()


def test_rows_whose_files_are_gone_already_are_deleted(desk: Services) -> None:
    """A run that stopped between the files and the rows."""
    case = file_case(desk)
    decide(desk, case, REJECTED)
    for name in file_names(desk, case):
        os.unlink(desk.settings.desk_dir / name)
    [deleted] = desk.desk_purge.run(ACTOR).documents
    assert (deleted.case_number, deleted.status, deleted.documents) == (case.case_number, REJECTED, 3)


# --- what goes when ------------------------------------------------------------------------------------------------


def test_open_cases_keep_their_documents(desk: Services, clock: FakeClock) -> None:
    case = file_case(desk)
    clock.advance(29 * 86400)
    report = desk.desk_purge.run(ACTOR)
    assert report.did_nothing
    assert file_names(desk, case) == files(desk) and len(files(desk)) == 3


def test_a_decided_cases_documents_go_and_the_case_stays(desk: Services) -> None:
    kept = file_case(desk, "someone")
    case = file_case(desk)
    decide(desk, case, APPROVED)
    report = desk.desk_purge.run(ACTOR)
    assert [(d.case_number, d.status, d.documents) for d in report.documents] == [(case.case_number, APPROVED, 3)]
    assert files(desk) == file_names(desk, kept)
    stored = SqlDeskRepository(desk.engine).get(case.id)
    assert stored is not None and stored.status == APPROVED and stored.documents_deleted_at == desk.clock()
    [event] = purge_events(desk)
    assert (event["action"], event["outcome"], event["actor"], event["realm"]) == (
        "desk.documents_deleted", "deleted", ACTOR, "acme",
    )  # fmt: skip
    assert event["subject"] == EMPLOYEE.id
    assert event["detail"] == {
        "case_id": case.id,
        "case_number": case.case_number,
        "reason": "decided",
        "status": APPROVED,
        "documents": ["kvk_extract", "id_document", "selfie"],
    }


def test_cases_past_retention_go_whole_whatever_their_status(desk: Services, clock: FakeClock) -> None:
    old_open = file_case(desk, "first")
    old_decided = file_case(desk, "second")
    clock.advance(20 * 86400)
    young = file_case(desk, "third")
    clock.advance(10 * 86400 + 1)
    decide(desk, old_decided, REJECTED)
    report = desk.desk_purge.run(ACTOR)
    assert [d.case_number for d in report.documents] == [old_decided.case_number]
    assert [(c.case_number, c.documents) for c in report.cases] == [
        (old_open.case_number, 3), (old_decided.case_number, 0),
    ]  # fmt: skip
    repository = SqlDeskRepository(desk.engine)
    assert repository.get(old_open.id) is None and repository.get(old_decided.id) is None
    assert repository.get(young.id) is not None and files(desk) == file_names(desk, young)
    actions = [(event["action"], event["detail"]["case_number"]) for event in purge_events(desk)]
    assert actions == [
        ("desk.documents_deleted", old_decided.case_number),
        ("desk.case_deleted", old_open.case_number),
        ("desk.case_deleted", old_decided.case_number),
    ]
    deleted = purge_events(desk)[1]["detail"]
    assert (deleted["reason"], deleted["retention_days"], deleted["status"]) == ("retention", 30, "open")
    assert deleted["filed_at"] == old_open.created_at.isoformat()
    assert desk.audit.verify().ok


def test_files_no_row_names_go_once_they_are_an_hour_old(desk: Services, clock: FakeClock) -> None:
    case = file_case(desk)
    vault = VaultFiles(desk.settings.desk_dir)
    orphan = vault.write_new(b"sealed bytes of a request that never committed")
    clock.advance(1800)
    assert desk.desk_purge.run(ACTOR).did_nothing  # it may belong to a request being filed
    clock.advance(1800 + 60)  # the test's clock started up to a second before the file's time
    assert desk.desk_purge.run(ACTOR).orphan_files == 1
    assert orphan not in files(desk) and files(desk) == file_names(desk, case)
    [event] = purge_events(desk)
    assert (event["action"], event["realm"], event["detail"]) == ("desk.orphan_files_deleted", None, {"files": 1})


def test_running_twice_changes_nothing_the_second_time(desk: Services, clock: FakeClock) -> None:
    case = file_case(desk)
    decide(desk, case)
    clock.advance(31 * 86400)
    first = desk.desk_purge.run(ACTOR)
    assert first.documents and first.cases
    events = len(desk.audit.recent(1000))
    assert desk.desk_purge.run(ACTOR).did_nothing
    assert len(desk.audit.recent(1000)) == events


def test_the_purge_works_with_the_desk_off(desk: Services, tmp_path: Path, wiring: Wiring) -> None:
    case = file_case(desk)
    decide(desk, case)
    production = Settings.from_env(
        {
            "MFA_RECOVERY_ENV": "production",
            "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data"),
            "MFA_RECOVERY_CODE_PEPPER": PEPPER,
            "MFA_RECOVERY_AUDIT_KEY": desk.settings.audit_key.replace("dev-only", "prod-like"),
            "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET": "k" * 32,
            "MFA_RECOVERY_ANSWER_SIGNING_KEY": DEV_ENV["MFA_RECOVERY_ANSWER_SIGNING_KEY"],
        }
    )
    off = build_services(production, **wiring)
    try:
        assert off.desk_intake is None
        assert len(off.desk_purge.run(ACTOR).documents) == 1
        assert files(desk) == set()
    finally:
        off.engine.dispose()


# --- the command ---------------------------------------------------------------------------------------------------


def run(environ: dict[str, str], *args: str) -> Result:
    obj = CliContext(environ=environ, directory_factory=lambda _settings: FakeDirectory(EMPLOYEE))
    return CliRunner().invoke(cli, ["desk", "purge", *args], obj=obj)


def test_the_command_says_what_it_deleted_and_then_that_there_is_nothing(environ: dict[str, str]) -> None:
    past = FakeClock(datetime.now(UTC) - timedelta(days=40))
    services = build_services(
        Settings.from_env(environ), clock=past, directory=FakeDirectory(EMPLOYEE), read_bsns=no_bsn
    )
    try:
        old = file_case(services, "old")
        past.now = datetime.now(UTC) - timedelta(minutes=5)
        decided = file_case(services, "decided")
        decide(services, decided, REJECTED)
    finally:
        services.engine.dispose()

    result = run(environ)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"deleted the 3 documents of case {decided.case_number} (rejected)"
    assert lines[1].startswith(f"deleted case {old.case_number} (open, filed ")
    assert lines[1].endswith("older than 30 days) with 3 documents")
    assert len(lines) == 2

    again = run(environ)
    assert (again.exit_code, again.stdout) == (0, "nothing to delete\n")


def test_the_command_fails_when_something_stays(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    services = build_services(Settings.from_env(environ), directory=FakeDirectory(EMPLOYEE), read_bsns=no_bsn)
    try:
        decide(services, file_case(services))
    finally:
        services.engine.dispose()

    def stuck(self: VaultFiles, name: str) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(VaultFiles, "delete", stuck)
    result = run(environ)
    assert result.exit_code == 1
    assert "error: case " in result.stderr and "Permission denied" in result.stderr
    assert "Traceback" not in result.output


def test_a_decision_can_delete_its_documents_at_once(desk: Services) -> None:
    case = file_case(desk)
    assert desk.desk_purge.delete_documents_of(case.id, ACTOR).did_nothing  # open: kept
    assert desk.desk_purge.delete_documents_of("no-such-case", ACTOR).did_nothing
    decide(desk, case, REJECTED)
    [deleted] = desk.desk_purge.delete_documents_of(case.id, ACTOR).documents
    assert (deleted.case_number, deleted.documents) == (case.case_number, 3)
    assert files(desk) == set() and [event["action"] for event in purge_events(desk)] == ["desk.documents_deleted"]
    assert desk.desk_purge.run(ACTOR).did_nothing
