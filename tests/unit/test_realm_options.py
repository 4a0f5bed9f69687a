from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from mfa_recovery.config import Settings
from mfa_recovery.realm_options.options import InvalidRealmOptions, RealmOptions
from mfa_recovery.services import Services, build_services
from mfa_recovery.store.tables import realm_options

from .fakes.clock import FakeClock
from .support import DEV_ENV, REALM


def test_defaults_for_a_realm_without_options(services: Services) -> None:
    options = services.realm_options.get(REALM)
    assert options == RealmOptions(realm=REALM)
    assert (options.code_count, options.warning_threshold, options.setup_prompt) == (10, 3, "offered")
    assert options.reenrol_otp_after_recovery is False
    assert options.is_default


def test_default_code_count_comes_from_the_environment(settings: Settings, clock: FakeClock) -> None:
    env = {**DEV_ENV, "MFA_RECOVERY_DATABASE_URL": settings.database_url, "MFA_RECOVERY_BACKUP_CODE_COUNT": "6"}
    svc = build_services(Settings.from_env(env), clock=clock)
    try:
        assert svc.realm_options.get(REALM).code_count == 6
    finally:
        svc.engine.dispose()


def test_update_saves_per_realm_and_audits(services: Services, clock: FakeClock) -> None:
    change = services.realm_options.update(
        REALM, "cli:operator", code_count=12, setup_prompt="required", reenrol_otp_after_recovery=True
    )
    assert change.changed == {
        "code_count": [10, 12],
        "setup_prompt": ["offered", "required"],
        "reenrol_otp_after_recovery": [False, True],
    }
    saved = services.realm_options.get(REALM)
    assert (saved.code_count, saved.warning_threshold, saved.setup_prompt) == (12, 3, "required")
    assert saved.reenrol_otp_after_recovery is True
    assert saved.updated_by == "cli:operator" and saved.updated_at is not None
    assert services.realm_options.get("other").is_default

    clock.advance(60)
    services.realm_options.update(REALM, "cli:someone", warning_threshold=0)
    again = services.realm_options.get(REALM)
    assert (again.code_count, again.warning_threshold, again.updated_by) == (12, 0, "cli:someone")

    events = [e for e in services.audit.recent() if e["action"] == "realm_options.update"]
    assert [e["actor"] for e in events] == ["cli:someone", "cli:operator"]
    assert events[0]["realm"] == REALM
    assert events[0]["detail"]["changed"] == {"warning_threshold": [3, 0]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code_count": 4}, "code count must be between 5 and 20, got 4"),
        ({"code_count": 21}, "code count must be between 5 and 20, got 21"),
        ({"warning_threshold": -1}, "warning threshold must be between 0 and 9"),
        ({"warning_threshold": 10}, "warning threshold must be between 0 and 9"),
        ({"code_count": 5, "warning_threshold": 5}, "warning threshold must be between 0 and 4"),
        ({"code_count": 3, "warning_threshold": 1}, "code count"),
        ({"setup_prompt": "always"}, "setup prompt must be one of off, offered, required"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_saved(
    services: Services, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRealmOptions, match=message):
        services.realm_options.update(REALM, "cli:x", **changes)
    assert services.realm_options.get(REALM).is_default
    assert not [e for e in services.audit.recent() if e["action"] == "realm_options.update"]


def test_lowering_the_code_count_below_the_threshold_is_refused(services: Services) -> None:
    services.realm_options.update(REALM, "cli:x", code_count=10, warning_threshold=8)
    with pytest.raises(InvalidRealmOptions, match="below the code count 6"):
        services.realm_options.update(REALM, "cli:x", code_count=6)
    services.realm_options.update(REALM, "cli:x", code_count=6, warning_threshold=2)
    assert services.realm_options.get(REALM).code_count == 6


@pytest.mark.parametrize(
    "values",
    [
        {"code_count": 4, "warning_threshold": 1, "setup_prompt": "off"},
        {"code_count": 10, "warning_threshold": 10, "setup_prompt": "off"},
        {"code_count": 10, "warning_threshold": 3, "setup_prompt": "sometimes"},
    ],
)
def test_the_table_checks_the_ranges_too(services: Services, values: dict[str, object]) -> None:
    row = {"realm": REALM, "updated_at": services.clock(), "updated_by": "sql", **values}
    with pytest.raises(IntegrityError), services.engine.begin() as conn:
        conn.execute(insert(realm_options).values(**row))


def test_defaults_of_the_backup_email_and_supervisor_options(services: Services) -> None:
    options = services.realm_options.get(REALM)
    assert options.email_method_enabled is True
    assert options.reenrol_otp_after_email_recovery is True
    assert options.supervisor_attribute == "supervisor"


def test_backup_email_and_supervisor_options_are_saved_and_audited(services: Services) -> None:
    change = services.realm_options.update(
        REALM,
        "cli:operator",
        email_method_enabled=False,
        reenrol_otp_after_email_recovery=False,
        supervisor_attribute="manager.id",
    )
    assert change.changed == {
        "email_method_enabled": [True, False],
        "reenrol_otp_after_email_recovery": [True, False],
        "supervisor_attribute": ["supervisor", "manager.id"],
    }
    saved = services.realm_options.get(REALM)
    assert (saved.email_method_enabled, saved.reenrol_otp_after_email_recovery) == (False, False)
    assert saved.supervisor_attribute == "manager.id"
    assert saved.code_count == 10  # untouched

    services.realm_options.update(REALM, "cli:operator", supervisor_attribute="")  # "" switches the lookup off
    assert services.realm_options.get(REALM).supervisor_attribute == ""
    event = services.audit.recent()[0]
    assert event["detail"]["changed"] == {"supervisor_attribute": ["manager.id", ""]}
    assert event["detail"]["options"]["email_method_enabled"] is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"supervisor_attribute": "has space"}, "supervisor attribute must be at most 64"),
        ({"supervisor_attribute": "x" * 65}, "supervisor attribute"),
        ({"supervisor_attribute": "chef/in"}, "supervisor attribute"),
        ({"supervisor_attribute": "leidinggevende\n"}, "supervisor attribute"),
        ({"supervisor_attribute": "chéf"}, "supervisor attribute"),
        ({"supervisor_attribute": 7}, "supervisor attribute"),
        ({"email_method_enabled": "yes"}, "email method enabled must be true or false"),
        ({"reenrol_otp_after_email_recovery": 1}, "reenrol otp after email recovery must be true or false"),
    ],
)
def test_invalid_backup_email_and_supervisor_options_are_refused(
    services: Services, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRealmOptions, match=message):
        services.realm_options.update(REALM, "cli:x", **changes)
    assert services.realm_options.get(REALM).is_default


@pytest.mark.parametrize("name", ["supervisor", "x" * 64, "manager_id", "org.boss-1", "A9"])
def test_valid_supervisor_attributes(services: Services, name: str) -> None:
    services.realm_options.update(REALM, "cli:x", supervisor_attribute=name)
    assert services.realm_options.get(REALM).supervisor_attribute == name
