"""When the sidecar is down or hangs, the user gets our clear page within the bridge's time limits, and the
authenticator app keeps working."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.support.signin import SignIn

CONNECT_LIMIT_SECONDS = 5  # the bound for a stopped sidecar (connection refused is immediate)
READ_LIMIT_SECONDS = 5 + 3  # the bridge's 5 s read timeout plus Keycloak's own page rendering


@pytest.fixture
def sidecar_hanging(sidecar, stack_config) -> Iterator[None]:
    """A listener on the sidecar's bridge port (where Keycloak calls) that accepts connections and never answers."""
    sidecar.stop()
    listener = socket.create_server(("127.0.0.1", stack_config.bridge_port))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()
        sidecar.start()


def test_stopped_sidecar_shows_unavailable_page_and_totp_still_works(keycloak, new_employee, sidecar_stopped):
    employee = new_employee()
    attempt = SignIn(keycloak, timeout=CONNECT_LIMIT_SECONDS)
    attempt.password(employee.username, employee.password)
    page = attempt.use_backup()  # raises requests.Timeout past the limit
    assert page.has("mfa-recovery-unavailable")
    assert "not possible right now" in page.text
    assert "We are sorry" not in page.text  # Keycloak's own error page

    attempt.back_to_otp()
    attempt.otp(employee.totp())
    assert attempt.authorization_code() is not None


def test_stopped_sidecar_does_not_affect_a_plain_totp_sign_in(keycloak, new_employee, sidecar_stopped):
    employee = new_employee()
    attempt = SignIn(keycloak)
    attempt.password(employee.username, employee.password)
    attempt.otp(employee.totp())
    assert attempt.authorization_code() is not None


def test_unavailable_page_in_dutch(keycloak, new_employee, sidecar_stopped):
    employee = new_employee()
    attempt = SignIn(keycloak, ui_locales="nl", timeout=CONNECT_LIMIT_SECONDS)
    attempt.password(employee.username, employee.password)
    page = attempt.use_backup()
    assert "Inloggen met back-up is niet beschikbaar" in page.text


def test_hanging_sidecar_shows_unavailable_page_after_the_read_timeout(keycloak, new_employee, sidecar_hanging):
    employee = new_employee()
    attempt = SignIn(keycloak, timeout=READ_LIMIT_SECONDS)
    attempt.password(employee.username, employee.password)
    assert attempt.use_backup().has("mfa-recovery-unavailable")
