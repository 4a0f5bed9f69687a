"""The "force MFA for all users" policy: finding the step in the browser flow, switching on and off, idempotence,
the snapshot and its exact restore, and who may do it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from mfa_recovery.admin.policy import mfa_step
from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings

from .fakes.admin_api import AdminHarness, close, make_harness
from .fakes.clock import FakeClock
from .fakes.keycloak import ADMIN_ID, VIEW_REALM, VIEW_USERS, acme_executions, configure_totp

POLICY = "/admin/v1/realms/acme/policy"
ON = {"force_mfa": True, "reason": "audit finding 2025-17"}
OFF = {"force_mfa": False, "reason": "rolled back"}


@pytest.fixture
def admin(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[AdminHarness]:
    harness = make_harness(settings, clock, fast_hasher)
    harness.keycloak.grants["helpdesk"] = frozenset({VIEW_USERS, VIEW_REALM})
    yield harness
    close(harness)


def requirements(admin: AdminHarness) -> dict[str, str]:
    return {execution["id"]: execution["requirement"] for execution in admin.keycloak.executions}


def policy_rows(admin: AdminHarness) -> list[dict[str, Any]]:
    """How each policy change ended, newest first (without the ``attempted`` row before each)."""
    rows = [row for row in admin.services.audit.recent() if row["action"] == "admin.policy"]
    assert [row["outcome"] for row in rows[1::2]] == ["attempted"] * (len(rows) // 2)
    return rows[::2]


# --- the step in the flow -----------------------------------------------------------------------------------------


def test_the_step_is_the_subflow_holding_mfa_recovery() -> None:
    step = mfa_step(acme_executions())
    assert step is not None and step["id"] == "x-2fa"


def test_no_step_without_mfa_recovery_or_outside_a_subflow() -> None:
    without = [e for e in acme_executions() if e.get("providerId") != "mfa-recovery"]
    assert mfa_step(without) is None
    top_level = [
        {"id": "a", "providerId": "auth-cookie", "level": 0},
        {"id": "b", "providerId": "mfa-recovery", "level": 0},
    ]
    assert mfa_step(top_level) is None
    odd_parent = [
        {"id": "a", "providerId": "auth-cookie", "level": 0},
        {"id": "b", "providerId": "mfa-recovery", "level": 1},
    ]
    assert mfa_step(odd_parent) is None


def test_the_nearest_enclosing_flow_is_the_step() -> None:
    executions = [
        {"id": "outer", "authenticationFlow": True, "level": 0, "requirement": "ALTERNATIVE"},
        {"id": "sibling", "authenticationFlow": True, "level": 1, "requirement": "CONDITIONAL"},
        {"id": "deep", "providerId": "auth-otp-form", "level": 2},
        {"id": "inner", "authenticationFlow": True, "level": 1, "requirement": "CONDITIONAL"},
        {"id": "cond", "providerId": "conditional-user-configured", "level": 2},
        {"id": "rec", "providerId": "mfa-recovery", "level": 2},
    ]
    step = mfa_step(executions)
    assert step is not None and step["id"] == "inner"


# --- reading ------------------------------------------------------------------------------------------------------


def test_the_policy_as_keycloak_has_it(admin: AdminHarness) -> None:
    response = admin.get(POLICY)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json == {
        "force_mfa": False,
        "keycloak": {
            "browser_flow": "mfa-browser",
            "step": {"id": "x-2fa", "display_name": "mfa-browser 2fa", "requirement": "CONDITIONAL"},
            "configure_totp": {"enabled": True, "default_action": False},
        },
        "snapshot": None,
    }
    assert [(who, call) for who, call, _ in admin.keycloak.calls] == [
        ("admin", "probe_realm"),
        ("service-account", "browser_flow"),
        ("service-account", "executions"),
        ("service-account", "required_action"),
    ]


def test_a_change_in_the_keycloak_console_counts(admin: AdminHarness) -> None:
    admin.keycloak.step()["requirement"] = "REQUIRED"
    assert admin.get(POLICY).json["force_mfa"] is True


def test_reading_needs_an_administrator_of_the_realm(admin: AdminHarness) -> None:
    admin.keycloak.grants["nobody"] = frozenset()
    response = admin.get(POLICY, username="nobody")
    assert (response.status_code, response.json["error"]) == (403, "forbidden")


def test_a_flow_without_the_step(admin: AdminHarness) -> None:
    admin.keycloak.executions = [e for e in admin.keycloak.executions if e["id"] not in ("x-2fa", "x-recovery")]
    state = admin.get(POLICY).json
    assert (state["force_mfa"], state["keycloak"]["step"]) == (False, None)
    response = admin.send("PUT", POLICY, ON)
    assert (response.status_code, response.json["error"]) == (409, "no_mfa_step")
    assert admin.keycloak.writes() == []


# --- switching ----------------------------------------------------------------------------------------------------


def test_forcing_mfa(admin: AdminHarness, clock: FakeClock) -> None:
    response = admin.send("PUT", POLICY, ON)
    assert response.status_code == 200
    assert response.json == {
        "force_mfa": True,
        "keycloak": {
            "browser_flow": "mfa-browser",
            "step": {"id": "x-2fa", "display_name": "mfa-browser 2fa", "requirement": "REQUIRED"},
            "configure_totp": {"enabled": True, "default_action": True},
        },
        "snapshot": {"taken_at": clock().isoformat().replace("+00:00", "Z"), "taken_by": "admin:master/admin"},
        "changed": True,
        "left": [],
    }
    assert requirements(admin) == {**{e["id"]: e["requirement"] for e in acme_executions()}, "x-2fa": "REQUIRED"}
    assert admin.keycloak.required_actions["CONFIGURE_TOTP"] == {**configure_totp(), "defaultAction": True}
    assert [(who, call) for who, call, _ in admin.keycloak.writes()] == [
        ("admin", "update_execution"),
        ("admin", "update_required_action"),
    ]
    (row,) = policy_rows(admin)
    assert (row["actor"], row["outcome"]) == ("admin:master/admin", "succeeded")
    assert row["detail"]["reason"] == "audit finding 2025-17"
    assert row["detail"]["before"]["step"]["requirement"] == "CONDITIONAL"
    assert row["detail"]["after"]["step"]["requirement"] == "REQUIRED"
    assert (row["detail"]["snapshot"], row["detail"]["admin_id"]) == ("stored", ADMIN_ID)


def test_forcing_twice_changes_nothing_the_second_time(admin: AdminHarness, clock: FakeClock) -> None:
    first = admin.send("PUT", POLICY, ON).json
    clock.advance(3600)
    admin.keycloak.calls.clear()
    again = admin.send("PUT", POLICY, ON)
    assert again.json == {**first, "changed": False}  # same snapshot, same time
    # Keycloak is asked, with the execution unchanged, whether this token may manage the realm's flows.
    assert admin.keycloak.writes() == [("admin", "update_execution", ("x-2fa", "REQUIRED"))]
    assert [row["outcome"] for row in policy_rows(admin)] == ["unchanged", "succeeded"]


def test_switching_off_reverts_what_forcing_set_and_nothing_else(admin: AdminHarness) -> None:
    before = copy.deepcopy(admin.keycloak.executions)
    admin.send("PUT", POLICY, ON)
    admin.keycloak.executions[5]["requirement"] = "REQUIRED"  # someone made the OTP form required meanwhile
    response = admin.send("PUT", POLICY, OFF)
    assert response.status_code == 200
    assert (response.json["force_mfa"], response.json["snapshot"], response.json["changed"]) == (False, None, True)
    expected = copy.deepcopy(before)
    expected[5]["requirement"] = "REQUIRED"
    assert admin.keycloak.executions == expected, "the step is back as it was; the OTP form stays as someone set it"
    assert admin.keycloak.required_actions["CONFIGURE_TOTP"] == configure_totp()
    assert response.json["left"] == []
    assert policy_rows(admin)[0]["detail"]["snapshot"] == "restored"
    assert admin.get(POLICY).json["snapshot"] is None


def test_switching_off_leaves_and_reports_what_someone_changed_since(admin: AdminHarness) -> None:
    admin.send("PUT", POLICY, ON)  # CONFIGURE_TOTP stays enabled; forcing makes it a default action
    admin.keycloak.required_actions["CONFIGURE_TOTP"]["enabled"] = False  # someone switched enrolment off meanwhile
    response = admin.send("PUT", POLICY, OFF)
    totp = admin.keycloak.required_actions["CONFIGURE_TOTP"]
    assert totp["enabled"] is False, "their change stays"
    assert totp["defaultAction"] is configure_totp()["defaultAction"], "what forcing set goes back"
    assert response.json["left"] == ["required action CONFIGURE_TOTP: enabled changed since MFA was forced"]
    assert policy_rows(admin)[0]["detail"]["left"] == response.json["left"]


def test_switching_off_what_the_console_forced(admin: AdminHarness) -> None:
    admin.keycloak.step()["requirement"] = "REQUIRED"
    admin.keycloak.required_actions["CONFIGURE_TOTP"]["defaultAction"] = True
    response = admin.send("PUT", POLICY, OFF)
    assert response.json["force_mfa"] is False
    assert admin.keycloak.step()["requirement"] == "CONDITIONAL"
    assert admin.keycloak.required_actions["CONFIGURE_TOTP"] == {**configure_totp(), "defaultAction": False}
    assert policy_rows(admin)[0]["detail"]["snapshot"] == "none"


def test_switching_off_when_not_forced_changes_nothing(admin: AdminHarness) -> None:
    response = admin.send("PUT", POLICY, OFF)
    assert response.json["changed"] is False
    assert admin.keycloak.writes() == [("admin", "update_execution", ("x-2fa", "CONDITIONAL"))]
    assert policy_rows(admin)[0]["outcome"] == "unchanged"


def test_the_first_snapshot_is_kept_until_restored(admin: AdminHarness, clock: FakeClock) -> None:
    taken = admin.send("PUT", POLICY, ON).json["snapshot"]
    admin.keycloak.step()["requirement"] = "CONDITIONAL"  # unforced in the console; the snapshot stays
    clock.advance(600)
    again = admin.send("PUT", POLICY, {**ON, "reason": "again"}).json
    assert (again["force_mfa"], again["snapshot"]) == (True, taken)
    assert policy_rows(admin)[0]["detail"]["snapshot"] == "kept"
    admin.send("PUT", POLICY, OFF)
    assert requirements(admin)["x-2fa"] == "CONDITIONAL"


def test_a_snapshot_of_another_flow_still_switches_off(admin: AdminHarness) -> None:
    admin.send("PUT", POLICY, ON)
    for execution in admin.keycloak.executions:  # the flow was rebuilt: new ids
        execution["id"] = "new-" + execution["id"]
    admin.send("PUT", POLICY, OFF)
    assert admin.get(POLICY).json["force_mfa"] is False


# --- refusals -----------------------------------------------------------------------------------------------------


def test_keycloak_decides_who_may_switch(admin: AdminHarness) -> None:
    response = admin.send("PUT", POLICY, ON, username="helpdesk")
    assert (response.status_code, response.json["error"]) == (403, "forbidden")
    assert admin.get(POLICY).json["snapshot"] is None  # nothing changed, so no snapshot stays behind
    assert admin.keycloak.step()["requirement"] == "CONDITIONAL"
    (row,) = policy_rows(admin)
    assert (row["actor"], row["outcome"], row["detail"]["error"]) == ("admin:master/helpdesk", "failed", "forbidden")


def test_an_unchanged_answer_also_needs_permission(admin: AdminHarness) -> None:
    response = admin.send("PUT", POLICY, OFF, username="helpdesk")
    assert (response.status_code, response.json["error"]) == (403, "forbidden")


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "x"},
        {"force_mfa": "true", "reason": "x"},
        {"force_mfa": 1, "reason": "x"},
        {"force_mfa": True},
        {"force_mfa": True, "reason": ""},
        {"force_mfa": True, "reason": "x" * 501},
        [True],
    ],
)
def test_bad_policy_bodies_are_400(admin: AdminHarness, body: object) -> None:
    response = admin.send("PUT", POLICY, body)
    assert (response.status_code, response.json["error"]) == (400, "bad_request")
    assert admin.keycloak.writes() == []


def test_keycloak_down(admin: AdminHarness) -> None:
    admin.keycloak.down = True
    response = admin.send("PUT", POLICY, ON)
    assert (response.status_code, response.json["error"]) == (502, "keycloak_unavailable")


def test_a_service_account_without_view_realm_is_a_keycloak_problem(
    admin: AdminHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = admin.keycloak.as_service()
    monkeypatch.setattr(service, "permissions", frozenset({VIEW_USERS}))
    monkeypatch.setattr(admin.keycloak, "as_service", lambda: service)
    response = admin.get(POLICY)
    assert (response.status_code, response.json["error"]) == (502, "keycloak_unavailable")
