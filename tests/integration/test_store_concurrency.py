"""One backup code, submitted many times at once, is accepted exactly once (and audited once), on SQLite and on
PostgreSQL.

The sidecar is built as in production (``build_services`` with the settings read from an environment, schema by
its Alembic migrations), against a SQLite file and against a throwaway PostgreSQL cluster started through
``scripts/postgres.sh``. No Keycloak is needed. A cheap argon2 cost keeps the tests fast; what is under test is
the store's conditional ``UPDATE``, not the hash.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.backup_codes.repository import SqlBackupCodeRepository
from mfa_recovery.backup_codes.service import VerifyResult
from mfa_recovery.caller import Caller
from mfa_recovery.config import Settings
from mfa_recovery.services import Services, build_services
from mfa_recovery.store import migrate
from mfa_recovery.store.tables import metadata
from tests.support.postgres import PostgresCluster
from tests.unit.support import DEV_ENV

THREADS = 16
REALM = "acme"


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A fresh database for this test run (the tests use their own user ids, so they can share it)."""
    return postgres_cluster.create_database("run").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mfa-recovery.db'}"
    return request.getfixturevalue("postgres_url")  # the cluster starts only when a PostgreSQL test runs


@pytest.fixture
def services(store_url: str) -> Iterator[Services]:
    settings = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_DATABASE_URL": store_url})
    built = build_services(settings, hasher=CodeHasher(time_cost=1, memory_cost=1024))
    assert built.engine.dialect.name == store_url.split(":")[0].split("+")[0]
    yield built
    built.engine.dispose()


def new_user() -> str:
    return str(uuid.uuid4())


def submit_at_once(services: Services, user_id: str, code: str) -> list[VerifyResult]:
    """THREADS threads wait at a barrier, then all submit ``code`` for ``user_id``; every result (or error)."""
    barrier = threading.Barrier(THREADS)

    def submit() -> VerifyResult:
        barrier.wait(timeout=30)
        return services.backup_codes.verify(REALM, user_id, code)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(submit) for _ in range(THREADS)]
        return [future.result(timeout=120) for future in futures]  # re-raises any store error


def assert_accepted_once(services: Services, user_id: str, code: str, results: list[VerifyResult]) -> None:
    accepted = [result for result in results if result.accepted]
    assert len(accepted) == 1, f"{len(accepted)} of {THREADS} concurrent submissions were accepted"
    assert accepted[0].remaining == 9
    assert services.backup_codes.remaining(REALM, user_id) == 9
    assert not services.backup_codes.verify(REALM, user_id, code).accepted  # and it stays used


def assert_untouched(services: Services, user_id: str, code: str) -> None:
    assert services.backup_codes.remaining(REALM, user_id) == 10
    result = services.backup_codes.verify(REALM, user_id, code)
    assert result.accepted and result.remaining == 9


def test_same_code_submitted_at_once_is_accepted_once(services: Services) -> None:
    alice, bob = new_user(), new_user()
    alice_codes = services.backup_codes.issue(REALM, alice, 10)
    bob_codes = services.backup_codes.issue(REALM, bob, 10)

    results = submit_at_once(services, alice, alice_codes[0])

    assert_accepted_once(services, alice, alice_codes[0], results)
    assert_untouched(services, bob, bob_codes[0])
    assert services.backup_codes.verify(REALM, alice, alice_codes[1]).accepted  # the rest of the set still works


def test_same_code_racing_into_the_update_is_accepted_once(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worst case, made certain: every thread finds the code unused and checks its hash before any of them
    marks it used, so all THREADS conditional UPDATEs race and only the store decides."""
    alice, bob = new_user(), new_user()
    alice_codes = services.backup_codes.issue(REALM, alice, 10)
    bob_codes = services.backup_codes.issue(REALM, bob, 10)

    all_looked_up = threading.Barrier(THREADS)
    consumed: list[bool] = []
    real_find_unused = SqlBackupCodeRepository.find_unused
    real_consume = SqlBackupCodeRepository.consume

    def find_unused_then_wait(self: SqlBackupCodeRepository, realm: str, user_id: str, lookup: str):
        found = real_find_unused(self, realm, user_id, lookup)
        if user_id == alice:
            all_looked_up.wait(timeout=30)
        return found

    def consume_and_count(self: SqlBackupCodeRepository, code_id: int, now, within=None) -> bool:
        won = real_consume(self, code_id, now, within)
        consumed.append(won)
        return won

    monkeypatch.setattr(SqlBackupCodeRepository, "find_unused", find_unused_then_wait)
    monkeypatch.setattr(SqlBackupCodeRepository, "consume", consume_and_count)

    results = submit_at_once(services, alice, alice_codes[0])

    assert len(consumed) == THREADS, "every thread should have reached the UPDATE"
    assert consumed.count(True) == 1
    monkeypatch.undo()
    assert_accepted_once(services, alice, alice_codes[0], results)
    assert_untouched(services, bob, bob_codes[0])


def test_a_sign_in_racing_with_others_is_accepted_once_and_audited_once(services: Services) -> None:
    """Through the sign-in, where the code is used in one transaction with its audit row (under the chain's lock):
    one acceptance, one ``accepted`` row, and the chain still holds."""
    alice = new_user()
    code = services.backup_codes.issue(REALM, alice, 10)[0]
    caller = Caller(REALM, alice, attempt="race.1")
    barrier = threading.Barrier(THREADS)

    def submit() -> str:
        barrier.wait(timeout=30)
        return services.sign_in.verify(caller, code).result

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [future.result(timeout=120) for future in [pool.submit(submit) for _ in range(THREADS)]]

    assert results.count("accepted") == 1, results
    assert services.backup_codes.remaining(REALM, alice) == 9
    accepted = [
        row
        for row in services.audit.recent(1000)
        if row["subject"] == alice and row["action"] == "backup_code.verify" and row["outcome"] == "accepted"
    ]
    assert len(accepted) == 1
    assert services.audit.verify().ok


# --- migrations on PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
def empty_postgres_database(postgres_cluster: PostgresCluster) -> str:
    return postgres_cluster.create_database("migrate").render_as_string(hide_password=False)


def assert_at_head(url: str) -> None:
    """Every table of the package's schema exists and Alembic records the newest revision, once."""
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            versions = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    assert set(metadata.tables) | {"alembic_version"} <= tables
    assert versions == [head]


def test_migrations_run_on_postgresql_from_scratch_and_again(empty_postgres_database: str) -> None:
    url = empty_postgres_database
    migrate.upgrade(url)
    assert_at_head(url)

    migrate.upgrade(url)  # nothing to do, and no error
    assert_at_head(url)

    settings = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_DATABASE_URL": url})
    services = build_services(settings, hasher=CodeHasher(time_cost=1, memory_cost=1024))  # upgrades at start too
    try:
        user = new_user()
        code = services.backup_codes.issue(REALM, user, 3)[0]
        assert services.backup_codes.verify(REALM, user, code).accepted
    finally:
        services.engine.dispose()


def test_concurrent_migrations_on_postgresql_are_serialised(empty_postgres_database: str) -> None:
    """Several sidecar processes starting at once on an empty database (the advisory lock serialises them)."""
    mfa_recovery = str(Path(sys.executable).with_name("mfa-recovery"))
    environ = {name: value for name, value in os.environ.items() if not name.startswith("MFA_RECOVERY_")}
    environ.update(DEV_ENV, MFA_RECOVERY_DATABASE_URL=empty_postgres_database)
    processes = [
        subprocess.Popen(
            [mfa_recovery, "db", "upgrade"], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outcomes = [(process.wait(timeout=120), *process.communicate()) for process in processes]
    for returncode, stdout, stderr in outcomes:
        assert returncode == 0, stderr
        assert "database is up to date" in stdout
    assert_at_head(empty_postgres_database)
