import random
import threading
from unittest import mock

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mfa_recovery.backup_codes.repository import StoredCode
from mfa_recovery.backup_codes.service import VerifyResult
from mfa_recovery.services import Services
from mfa_recovery.store.tables import backup_codes

from .support import REALM, USER_ID


def test_issue_returns_displayable_codes_and_stores_only_hashes(services: Services) -> None:
    codes = services.backup_codes.issue(REALM, USER_ID, 10)
    assert len(codes) == 10
    assert all(len(c) == 12 and c[4] == "-" and c[9] == "-" for c in codes)
    with services.engine.connect() as conn:
        rows = conn.execute(select(backup_codes)).all()
    assert len(rows) == 10
    stored = " ".join(f"{r.lookup} {r.hash}" for r in rows)
    for code in codes:
        assert code.replace("-", "") not in stored
    assert services.backup_codes.remaining(REALM, USER_ID) == 10


def test_every_code_works_once_in_any_order(services: Services) -> None:
    codes = services.backup_codes.issue(REALM, USER_ID, 6)
    random.shuffle(codes)
    for used, code in enumerate(codes, start=1):
        assert services.backup_codes.verify(REALM, USER_ID, code) == VerifyResult(True, 6 - used)
    for code in codes:
        assert services.backup_codes.verify(REALM, USER_ID, code) == VerifyResult(False, None)
    assert services.backup_codes.remaining(REALM, USER_ID) == 0


def test_typing_variants_are_accepted(services: Services) -> None:
    code = services.backup_codes.issue(REALM, USER_ID, 1)[0]
    assert services.backup_codes.verify(REALM, USER_ID, "  " + code.lower().replace("-", " ")).accepted


def test_issue_replaces_the_previous_set(services: Services) -> None:
    old = services.backup_codes.issue(REALM, USER_ID, 5)
    assert services.backup_codes.verify(REALM, USER_ID, old[0]).accepted
    new = services.backup_codes.issue(REALM, USER_ID, 3)
    assert services.backup_codes.remaining(REALM, USER_ID) == 3
    for code in old[1:]:
        assert not services.backup_codes.verify(REALM, USER_ID, code).accepted
    assert services.backup_codes.verify(REALM, USER_ID, new[0]).accepted
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(backup_codes)).scalar_one() == 3


def test_issue_is_atomic_when_the_insert_fails(services: Services) -> None:
    old = services.backup_codes.issue(REALM, USER_ID, 4)
    with (
        mock.patch("mfa_recovery.backup_codes.service.lookup_key", return_value="same-key"),
        pytest.raises(IntegrityError),
    ):
        services.backup_codes.issue(REALM, USER_ID, 2)  # duplicate lookup -> unique violation mid-insert
    assert services.backup_codes.remaining(REALM, USER_ID) == 4
    assert services.backup_codes.verify(REALM, USER_ID, old[0]).accepted


def test_codes_are_bound_to_realm_and_user(services: Services) -> None:
    code = services.backup_codes.issue(REALM, USER_ID, 1)[0]
    assert not services.backup_codes.verify(REALM, "someone-else", code).accepted
    assert not services.backup_codes.verify("other-realm", USER_ID, code).accepted
    assert services.backup_codes.verify(REALM, USER_ID, code).accepted


def test_unknown_user_and_garbage_cost_one_hash_like_a_wrong_code(services: Services) -> None:
    services.backup_codes.issue(REALM, USER_ID, 2)
    hasher = services.backup_codes._hasher
    with (
        mock.patch.object(hasher, "verify", wraps=hasher.verify) as verify,
        mock.patch.object(hasher, "verify_dummy", wraps=hasher.verify_dummy) as dummy,
    ):
        results = [
            services.backup_codes.verify(REALM, "unknown-user", "7KQM-2XHR-9T"),
            services.backup_codes.verify(REALM, USER_ID, "7KQM-2XHR-9T"),
            services.backup_codes.verify(REALM, USER_ID, "not a code at all"),
        ]
    assert results == [VerifyResult(False, None)] * 3
    assert dummy.call_count == 3
    assert verify.call_count == 3  # each dummy check is one real argon2 verification


def test_concurrent_submissions_of_one_code_succeed_once(services: Services) -> None:
    code = services.backup_codes.issue(REALM, USER_ID, 3)[0]
    barrier = threading.Barrier(8)
    results: list[VerifyResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            barrier.wait()
            result = services.backup_codes.verify(REALM, USER_ID, code)
            with lock:
                results.append(result)
        except BaseException as exc:  # surface failures from threads
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(results) == 8
    assert [r.accepted for r in results].count(True) == 1
    assert services.backup_codes.remaining(REALM, USER_ID) == 2


def test_consume_is_conditional(services: Services) -> None:
    """The race guard itself: a row found unused but consumed meanwhile is refused."""
    code = services.backup_codes.issue(REALM, USER_ID, 1)[0]
    repo = services.backup_codes._repository
    real_find = repo.find_unused

    def find_then_someone_else_consumes(*args: str) -> StoredCode:
        found = real_find(*args)
        assert found is not None
        assert repo.consume(found.id, services.clock())
        return found

    with mock.patch.object(repo, "find_unused", side_effect=find_then_someone_else_consumes):
        assert services.backup_codes.verify(REALM, USER_ID, code) == VerifyResult(False, None)
