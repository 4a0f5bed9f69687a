"""The bridge API on a port of its own: the listener is read from the accepted socket, never from the request."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.web.app import create_app

from .fakes.bridge import BridgeIssuer
from .fakes.clock import FakeClock
from .fakes.keycloak import FakeDirectory
from .fakes.smtp import FakeTransport
from .served import serving
from .support import DEV_ENV

MAIN_PORT = 18991
BRIDGE_PORT = 18992
START = "/bridge/v1/recovery/start"


class AcceptedSocket:
    """What gunicorn puts in ``environ["gunicorn.socket"]``: the accepted connection, bound to a listener."""

    def __init__(self, address: object) -> None:
        self.address = address

    def getsockname(self) -> object:
        return self.address


def on(port: int | None, **extra: Any) -> dict[str, Any]:
    """Request arguments for a connection accepted on ``port`` (None: no gunicorn socket at all)."""
    environ = {} if port is None else {"gunicorn.socket": AcceptedSocket(("127.0.0.1", port))}
    return {"environ_base": environ, **extra}


@pytest.fixture
def split_app(
    tmp_path: Path, clock: FakeClock, fast_hasher: CodeHasher, bridge_issuer: BridgeIssuer
) -> Iterator[Flask]:
    settings = Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_DATA_DIR": str(tmp_path),
            "MFA_RECOVERY_NOTIFICATIONS": "off",
            "MFA_RECOVERY_BRIDGE_PORT": str(BRIDGE_PORT),
        }
    )
    app = create_app(
        settings,
        clock=clock,
        hasher=fast_hasher,
        directory=FakeDirectory(),
        transport=FakeTransport(),
        realm_keys=bridge_issuer.realm_keys(),
    )
    yield app
    app.extensions["mfa_recovery"].engine.dispose()


@pytest.fixture
def split(split_app: Flask) -> FlaskClient:
    return split_app.test_client()


def bridge_call(client: FlaskClient, issuer: BridgeIssuer, port: int | None, **extra: Any) -> Any:
    headers = {"Authorization": f"Bearer {issuer.token(START)}", **extra.pop("headers", {})}
    return client.post(START, json={}, headers=headers, **on(port, **extra))


def test_the_bridge_api_answers_on_the_bridge_port(split: FlaskClient, bridge_issuer: BridgeIssuer) -> None:
    response = bridge_call(split, bridge_issuer, BRIDGE_PORT)
    assert response.status_code == 200
    assert response.json["methods"] == []


def test_the_bridge_api_is_404_json_on_the_main_port(split: FlaskClient, bridge_issuer: BridgeIssuer) -> None:
    response = bridge_call(split, bridge_issuer, MAIN_PORT)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert split.get("/bridge/v1/recovery/start", **on(MAIN_PORT)).status_code == 404  # not even a 405
    assert split.post("/bridge/v1/nothing", json={}, **on(MAIN_PORT)).status_code == 404


def test_a_host_header_or_server_port_that_lies_does_not_open_the_bridge(
    split: FlaskClient, bridge_issuer: BridgeIssuer
) -> None:
    lying = {"headers": {"Host": f"127.0.0.1:{BRIDGE_PORT}"}, "base_url": f"http://127.0.0.1:{BRIDGE_PORT}"}
    response = bridge_call(split, bridge_issuer, MAIN_PORT, **lying)
    assert response.status_code == 404
    assert response.request.environ["SERVER_PORT"] == str(BRIDGE_PORT)  # the lie reached the app, unheeded
    forwarded = {"headers": {"X-Forwarded-Port": str(BRIDGE_PORT), "X-Forwarded-Host": f"sidecar:{BRIDGE_PORT}"}}
    assert bridge_call(split, bridge_issuer, MAIN_PORT, **forwarded).status_code == 404


def test_only_the_bridge_api_and_health_answer_on_the_bridge_port(split: FlaskClient) -> None:
    assert split.get("/healthz", **on(BRIDGE_PORT)).status_code == 200
    for path in ("/admin/v1/openapi.json", "/ui/realms/acme/employees", "/ui/realms/acme/login", "/nothing"):
        assert split.get(path, **on(BRIDGE_PORT)).status_code == 404, path
    assert split.get("/admin/v1/openapi.json", **on(MAIN_PORT)).status_code == 200
    assert split.get("/healthz", **on(MAIN_PORT)).status_code == 200
    assert split.get(START, **on(BRIDGE_PORT)).status_code == 405  # an unmatched bridge path keeps its own error


@pytest.mark.parametrize(
    "sock",
    [None, AcceptedSocket("/run/sidecar.sock"), AcceptedSocket(("127.0.0.1",)), AcceptedSocket(None)],
    ids=["no gunicorn socket", "unix socket", "no port", "nothing"],
)
def test_a_connection_whose_listener_cannot_be_told_gets_nothing(
    split: FlaskClient, bridge_issuer: BridgeIssuer, sock: AcceptedSocket | None
) -> None:
    environ = {} if sock is None else {"gunicorn.socket": sock}
    headers = {"Authorization": f"Bearer {bridge_issuer.token(START)}", "Host": f"127.0.0.1:{BRIDGE_PORT}"}
    response = split.post(START, json={}, headers=headers, environ_base=environ)
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "message": "not found"}
    assert split.get("/healthz", environ_base=environ).status_code == 404


def test_without_a_bridge_port_one_port_serves_everything(client: FlaskClient, call: Any) -> None:
    """Development without --bridge-port (production refuses to serve so)."""
    assert call(START, {}).status_code == 200
    assert client.get("/admin/v1/openapi.json").status_code == 200


# --- the real thing: gunicorn with two listeners ------------------------------------------------------------------


def raw_get(port: int, path: str, host: str) -> int:
    """A GET with exactly this Host header; the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        status_line = conn.makefile("rb").readline().decode()
    return int(status_line.split()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """``mfa-recovery serve --port P --bridge-port Q`` on two free loopback ports."""
    with serving(tmp_path_factory.mktemp("served")) as ports:
        yield ports


def test_gunicorn_splits_by_listener_whatever_the_host_header_says(served: tuple[int, int]) -> None:
    main, bridge = served
    assert raw_get(main, "/admin/v1/openapi.json", f"127.0.0.1:{main}") == 200
    assert raw_get(bridge, "/admin/v1/openapi.json", f"127.0.0.1:{bridge}") == 404
    assert raw_get(bridge, "/admin/v1/openapi.json", f"127.0.0.1:{main}") == 404  # a lie the other way round
    assert raw_get(main, "/healthz", f"127.0.0.1:{main}") == 200
    assert raw_get(bridge, "/healthz", f"127.0.0.1:{bridge}") == 200
    # The bridge API exists only on the bridge listener, however the Host header names the port.
    assert raw_get(bridge, START, f"127.0.0.1:{bridge}") == 405  # there: only POST is wrong
    assert raw_get(main, START, f"127.0.0.1:{bridge}") == 404
    assert raw_get(main, START, "sidecar") == 404
