""" "I have neither": finding the supervisor, the notice and its rate limit, delivery, the Keycloak look-ups."""

from dataclasses import replace
from typing import Any

import pytest

from mfa_recovery.caller import Caller, Profile
from mfa_recovery.config import Settings
from mfa_recovery.directory import DirectoryUser
from mfa_recovery.services import Services, build_services
from mfa_recovery.supervisor.lookup import find_supervisor
from mfa_recovery.supervisor.service import NOTICE_WINDOW

from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .fakes.smtp import FakeTransport, text_of
from .support import DEV_ENV, EMPLOYEE, REALM, SUPERVISOR, USER_ID, outbox_row

CALLER = Caller(REALM, USER_ID, attempt="root.tab", ip="203.0.113.7", user_agent="Firefox/140")
PROFILE = Profile(username="jdoe", first_name="Jan", email="jan@acme.example", locale="en")


def employee(**attributes: tuple[str, ...]) -> DirectoryUser:
    return replace(EMPLOYEE, attributes={"locale": ("en",), **attributes})


def events(svc: Services, action: str) -> list[dict[str, Any]]:
    return [e for e in reversed(svc.audit.recent(500)) if e["action"] == action]


# --- the look-up ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["carol", "Carol", " carol ", "carol@acme.example", "CAROL@acme.example"])
def test_supervisor_by_username_or_email_address(reference: str) -> None:
    directory = FakeDirectory(employee(supervisor=(reference,)), SUPERVISOR)
    found = find_supervisor(directory, REALM, USER_ID, "supervisor")
    assert (found.reason, found.supervisor, found.employee) == ("found", SUPERVISOR, directory.users[USER_ID])
    assert found.supervisor is not None and found.supervisor.display_name == "Carol de Vries"


def test_an_email_address_is_only_looked_up_as_such_when_it_has_an_at_sign() -> None:
    directory = FakeDirectory(employee(supervisor=("carol",)), replace(SUPERVISOR, username="boss"))
    assert find_supervisor(directory, REALM, USER_ID, "supervisor").reason == "not_found"
    assert "find_user_by_email" not in directory.calls


def test_the_realm_names_the_attribute() -> None:
    directory = FakeDirectory(employee(manager=("carol",)), SUPERVISOR)
    assert find_supervisor(directory, REALM, USER_ID, "supervisor").reason == "no_attribute"
    assert find_supervisor(directory, REALM, USER_ID, "manager").reason == "found"
    assert find_supervisor(directory, REALM, USER_ID, "").reason == "lookup_off"
    assert directory.calls.count("get_user") == 2  # switched off: Keycloak is not asked


@pytest.mark.parametrize(
    ("users", "reason"),
    [
        ((), "no_employee"),
        ((employee(supervisor=("",)), SUPERVISOR), "no_attribute"),
        ((employee(supervisor=("nobody",)), SUPERVISOR), "not_found"),
        ((employee(supervisor=("carol",)), replace(SUPERVISOR, email=None)), "no_address"),
        ((employee(supervisor=("carol",)), replace(SUPERVISOR, enabled=False)), "not_usable"),
        ((employee(supervisor=("jdoe",)),), "not_usable"),  # themself
        (
            (
                employee(supervisor=("boss@acme.example",)),
                replace(SUPERVISOR, email="boss@acme.example"),
                replace(SUPERVISOR, id="other", username="carol2", email="boss@acme.example"),
            ),
            "not_found",  # two users with that address: neither is taken
        ),
    ],
)
def test_no_usable_supervisor(users: tuple[DirectoryUser, ...], reason: str) -> None:
    found = find_supervisor(FakeDirectory(*users), REALM, USER_ID, "supervisor")
    assert (found.reason, found.supervisor) == (reason, None)


def test_keycloak_down_means_no_supervisor() -> None:
    directory = FakeDirectory(EMPLOYEE, SUPERVISOR)
    directory.down = True
    assert find_supervisor(directory, REALM, USER_ID, "supervisor").reason == "unavailable"


def test_the_name_is_first_and_last_else_the_username() -> None:
    assert DirectoryUser(id="1", username="carol", first_name=" Carol ", last_name="de Vries").display_name == (
        "Carol de Vries"
    )
    assert DirectoryUser(id="1", username="carol", first_name="Carol").display_name == "Carol"
    assert DirectoryUser(id="1", username="carol", last_name="  ").display_name == "carol"
    assert DirectoryUser(id="1", username="x", attributes={"s": ("", " a ", "b")}).attribute("s") == "a"


# --- the service: info, notice, rate limit ----------------------------------------------------------------------


def test_info_names_the_supervisor(services: Services) -> None:
    info = services.supervisor.info(CALLER)
    assert (info.name, info.can_notify, info.retry_after_seconds) == ("Carol de Vries", True, None)
    [event] = events(services, "supervisor.lookup")
    assert event["outcome"] == "found" and event["detail"]["supervisor_id"] == SUPERVISOR.id


def test_info_without_a_supervisor(services: Services, directory: FakeDirectory) -> None:
    directory.down = True
    info = services.supervisor.info(CALLER)
    assert (info.name, info.can_notify) == (None, False)
    assert [e["outcome"] for e in events(services, "supervisor.lookup")] == ["unavailable"]


def test_a_notice_is_queued_once_an_hour(services: Services, clock: FakeClock) -> None:
    notice = services.supervisor.notify(CALLER, PROFILE)
    assert (notice.result, notice.supervisor_name) == ("queued", "Carol de Vries")
    [row] = services.outbox.due()
    assert (row.kind, row.user_id, row.ip, row.user_agent) == (
        "supervisor_notice",
        USER_ID,
        "203.0.113.7",
        "Firefox/140",
    )
    assert row.detail == {
        "supervisor_id": SUPERVISOR.id,
        "supervisor_name": "Carol de Vries",
        "employee_name": "Jan Doe",
        "employee_username": "jdoe",
        "link": f"http://127.0.0.1:8081/ui/realms/acme/employees/{USER_ID}",
    }

    clock.advance(600)
    limited = services.supervisor.notify(CALLER, PROFILE)
    assert (limited.result, limited.retry_after_seconds) == ("rate_limited", 3000)
    info = services.supervisor.info(CALLER)
    assert (info.name, info.can_notify, info.retry_after_seconds) == ("Carol de Vries", False, 3000)

    clock.advance(NOTICE_WINDOW.total_seconds() - 600)
    assert services.supervisor.notify(CALLER, PROFILE).result == "queued"
    assert len(services.outbox.due()) == 2
    assert [e["outcome"] for e in events(services, "supervisor.notified")] == ["queued", "rate_limited", "queued"]


def test_the_limit_is_per_employee(services: Services, directory: FakeDirectory) -> None:
    directory.add(replace(EMPLOYEE, id="colleague", username="piet"))
    assert services.supervisor.notify(CALLER, PROFILE).result == "queued"
    assert services.supervisor.notify(replace(CALLER, user_id="colleague"), PROFILE).result == "queued"


def test_no_supervisor_no_notice(services: Services, directory: FakeDirectory) -> None:
    directory.add(employee())
    assert services.supervisor.notify(CALLER, PROFILE).result == "no_supervisor"
    assert services.outbox.due() == []
    services.realm_options.update(REALM, "cli:t", supervisor_attribute="")
    directory.add(EMPLOYEE)
    assert services.supervisor.notify(CALLER, PROFILE).result == "no_supervisor"


@pytest.mark.parametrize(
    ("env", "realm", "user_id", "link"),
    [
        ({}, REALM, USER_ID, f"http://127.0.0.1:8081/ui/realms/acme/employees/{USER_ID}"),
        (
            {"MFA_RECOVERY_PUBLIC_URL": "https://mfa.example.org/"},
            REALM,
            "u-1",
            "https://mfa.example.org/ui/realms/acme/employees/u-1",
        ),
        (
            {"MFA_RECOVERY_EMPLOYEE_LINK": "https://hr.example.org/{realm}/people/{user_id}"},
            "a b/c",
            "x?y",
            "https://hr.example.org/a%20b%2Fc/people/x%3Fy",
        ),
    ],
)
def test_the_link_follows_the_settings(
    tmp_path: Any, clock: FakeClock, directory: FakeDirectory, env: dict[str, str], realm: str, user_id: str, link: str
) -> None:
    settings = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path), **env})
    svc = build_services(settings, clock=clock, directory=directory)
    try:
        assert svc.supervisor.employee_link(realm, user_id) == link
    finally:
        svc.engine.dispose()


# --- delivery ---------------------------------------------------------------------------------------------------


def notice_row(svc: Services, **detail: str) -> dict[str, Any]:
    return {
        "realm": REALM,
        "user_id": USER_ID,
        "kind": "supervisor_notice",
        "occurred_at": svc.clock(),
        "ip": None,
        "user_agent": None,
        "detail": {"employee_username": "jdoe", "link": "https://x.example/u", **detail},
    }


def test_the_notice_goes_to_the_supervisor_in_their_language(
    services: Services, outgoing: FakeTransport, directory: FakeDirectory
) -> None:
    services.supervisor.notify(CALLER, PROFILE)
    report = services.notification_sender().run_once()
    assert report.sent == 1
    [mail] = outgoing.to("carol@acme.example")
    assert mail["Subject"] == "Jan Doe kan niet inloggen en vraagt je om hulp"
    assert mail["Content-Language"] == "nl"
    body = text_of(mail)
    assert "Beste Carol," in body and "jdoe" in body and "203.0.113.7" in body
    assert f"/ui/realms/acme/employees/{USER_ID}" in body
    assert "bellen" in body  # check it is really them, e.g. by phone

    directory.users[SUPERVISOR.id] = replace(SUPERVISOR, attributes={})  # no locale: English
    services.outbox.enqueue(**notice_row(services, supervisor_id=SUPERVISOR.id, employee_name="Jan Doe"))
    services.notification_sender().run_once()
    assert outgoing.to("carol@acme.example")[-1]["Subject"] == "Jan Doe cannot sign in and asks for your help"


def test_a_notice_without_a_supervisor_is_given_up(services: Services, outgoing: FakeTransport) -> None:
    row = services.outbox.enqueue(**notice_row(services))
    assert services.notification_sender().run_once().failed == 1
    assert outbox_row(services, row)["status"] == "failed" and outgoing.messages == []
