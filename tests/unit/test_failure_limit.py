import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from sqlalchemy import select

from mfa_recovery.attempt_limits.limiter import FailureLimiter, FailurePolicy
from mfa_recovery.attempt_limits.repository import SqlFailureRepository
from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import ConfigError, Settings
from mfa_recovery.services import Services, build_services
from mfa_recovery.store.tables import recovery_failures

from .fakes.clock import FakeClock
from .support import DEV_ENV, REALM, USER_ID

VERIFY = "/bridge/v1/backup-codes/verify"
WRONG = "0000-0000-00"


def services_of(app: Flask) -> Services:
    return app.extensions["mfa_recovery"]


def fail_times(call: Callable[..., Any], times: int, **claims: Any) -> list[dict[str, Any]]:
    return [call(VERIFY, {"code": WRONG}, claims=claims).json for _ in range(times)]


def test_settings_from_the_environment() -> None:
    s = Settings.from_env(DEV_ENV)
    assert (s.failure_limit, s.failure_window_seconds, s.lockout_seconds) == (5, 900, 900)
    s = Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_FAILURE_LIMIT": "3",
            "MFA_RECOVERY_FAILURE_WINDOW_SECONDS": "60",
            "MFA_RECOVERY_LOCKOUT_SECONDS": "120",
        }
    )
    assert (s.failure_limit, s.failure_window_seconds, s.lockout_seconds) == (3, 60, 120)
    for name in ("FAILURE_LIMIT", "FAILURE_WINDOW_SECONDS", "LOCKOUT_SECONDS"):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({**DEV_ENV, f"MFA_RECOVERY_{name}": "0"})


def test_five_failures_lock_and_even_the_right_code_is_refused(
    app: Flask, call: Callable[..., Any], clock: FakeClock
) -> None:
    codes = services_of(app).backup_codes.issue(REALM, USER_ID, 5)
    assert fail_times(call, 5) == [{"result": "rejected"}] * 5
    clock.advance(60)
    answer = call(VERIFY, {"code": codes[0]}).json
    assert answer == {"result": "locked", "retry_after_seconds": 840}
    assert services_of(app).backup_codes.remaining(REALM, USER_ID) == 5  # the code was not checked, not spent

    clock.advance(840)
    assert call(VERIFY, {"code": codes[0]}).json["result"] == "accepted"


def test_locked_refusal_costs_one_hash_and_is_audited(app: Flask, call: Callable[..., Any]) -> None:
    svc = services_of(app)
    codes = svc.backup_codes.issue(REALM, USER_ID, 5)
    fail_times(call, 5)
    with (
        mock.patch.object(svc.hasher, "verify", wraps=svc.hasher.verify) as verify,
        mock.patch.object(svc.backup_codes, "verify", wraps=svc.backup_codes.verify) as code_check,
    ):
        assert call(VERIFY, {"code": codes[0], "ip": "198.51.100.4"}).json["result"] == "locked"
    assert verify.call_count == 1  # the dummy verification: same cost as a real check
    assert code_check.call_count == 0
    events = [e for e in svc.audit.recent() if e["action"] == "backup_code.verify"]
    assert events[0]["outcome"] == "locked" and events[0]["ip"] == "198.51.100.4"
    assert events[0]["detail"]["retry_after_seconds"] == 900
    assert events[1]["outcome"] == "rejected" and events[1]["detail"]["lockout_started"] is True
    assert "lockout_started" not in events[2]["detail"]


def test_a_success_resets_the_counter(app: Flask, call: Callable[..., Any]) -> None:
    codes = services_of(app).backup_codes.issue(REALM, USER_ID, 5)
    fail_times(call, 4)
    assert call(VERIFY, {"code": codes[0]}).json["result"] == "accepted"
    assert fail_times(call, 4) == [{"result": "rejected"}] * 4
    assert call(VERIFY, {"code": codes[1]}).json["result"] == "accepted"


def test_failures_outside_the_window_do_not_add_up(app: Flask, call: Callable[..., Any], clock: FakeClock) -> None:
    codes = services_of(app).backup_codes.issue(REALM, USER_ID, 5)
    fail_times(call, 4)
    clock.advance(15 * 60)
    assert fail_times(call, 4) == [{"result": "rejected"}] * 4
    assert call(VERIFY, {"code": codes[0]}).json["result"] == "accepted"


def test_the_limit_is_per_user(app: Flask, call: Callable[..., Any]) -> None:
    fail_times(call, 5, sub="someone-else")
    assert fail_times(call, 1, sub="someone-else") == [{"result": "locked", "retry_after_seconds": 900}]
    codes = services_of(app).backup_codes.issue(REALM, USER_ID, 5)
    assert call(VERIFY, {"code": codes[0]}).json["result"] == "accepted"


def test_the_limit_holds_across_replicas(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> None:
    replicas = [build_services(settings, clock=clock, hasher=fast_hasher) for _ in range(2)]
    try:
        first, second = replicas
        codes = first.backup_codes.issue(REALM, USER_ID, 5)
        for i in range(5):
            replica = replicas[i % 2]
            replica.failure_limiter.record_failure(REALM, USER_ID)
        assert second.failure_limiter.state(REALM, USER_ID).locked
        assert first.failure_limiter.state(REALM, USER_ID).locked
        assert second.backup_codes.remaining(REALM, USER_ID) == len(codes)
    finally:
        for replica in replicas:
            replica.engine.dispose()


def test_concurrent_failures_are_all_counted(services: Services, clock: FakeClock) -> None:
    limiter = FailureLimiter(SqlFailureRepository(services.engine), FailurePolicy(limit=1000), clock)
    barrier = threading.Barrier(12)
    errors: list[BaseException] = []

    def fail() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                limiter.record_failure(REALM, USER_ID)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fail) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with services.engine.connect() as conn:
        rows = conn.execute(select(recovery_failures.c.failures)).scalars().all()
    assert rows == [36]  # one row (race-safe insert), every increment counted


def test_custom_policy_from_settings(tmp_path: Any, clock: FakeClock, fast_hasher: CodeHasher) -> None:
    env = {
        **DEV_ENV,
        "MFA_RECOVERY_DATA_DIR": str(tmp_path),
        "MFA_RECOVERY_FAILURE_LIMIT": "2",
        "MFA_RECOVERY_LOCKOUT_SECONDS": "30",
    }
    svc = build_services(Settings.from_env(env), clock=clock, hasher=fast_hasher)
    try:
        svc.failure_limiter.record_failure(REALM, USER_ID)
        assert not svc.failure_limiter.state(REALM, USER_ID).locked
        assert svc.failure_limiter.record_failure(REALM, USER_ID).retry_after_seconds == 30
        clock.advance(29.5)
        assert svc.failure_limiter.state(REALM, USER_ID).retry_after_seconds == 1
        clock.advance(0.5)
        assert not svc.failure_limiter.state(REALM, USER_ID).locked
    finally:
        svc.engine.dispose()
