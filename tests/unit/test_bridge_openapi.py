"""The OpenAPI description of the bridge API (``openapi/bridge-v1.yaml``): valid, in step with the routes, and its
examples and the sidecar's own answers fit the schemas it gives. The bridge's side is checked against the same file
by ``keycloak-bridge``'s ``BridgeContractTest``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfa_recovery.web import openapi

from .fakes.smtp import FakeTransport
from .support import PROFILE, REALM, USER_ID
from .test_admin_openapi import METHODS, inline

HEALTH = "/healthz"
SIGNATURE = "MFA-Recovery-Signature"


def spec() -> dict[str, Any]:
    return openapi.document(openapi.BRIDGE)


def routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path) of every bridge rule and of the health check, HEAD and OPTIONS left out."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/bridge/", "/health/")) or rule.rule == HEALTH:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(method.lower(), path) for method in rule.methods or () if method.lower() in METHODS}
    return found


def described() -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec()["paths"].items() for method in item if method in METHODS}


def answer_schema(method: str, path: str, status: str = "200") -> dict[str, Any]:
    document = spec()
    return inline(document["paths"][path][method]["responses"][status], document)["content"]["application/json"]


def fits(value: Any, schema: dict[str, Any]) -> bool:
    validator = pytest.importorskip("openapi_schema_validator")
    return validator.OAS30Validator(schema).is_valid(value)


def test_every_route_is_described_and_every_description_is_a_route(app: Flask) -> None:
    assert routes(app) == described()
    assert len(described()) == 13


def test_the_description_is_valid_openapi() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec())


def test_every_example_fits_its_schema_and_every_kind_of_answer_has_one() -> None:
    for method, path in described():
        media = answer_schema(method, path)
        examples = [example["value"] for example in media["examples"].values()]
        for example in examples:
            assert fits(example, media["schema"]), (path, example)
        for variant in media["schema"].get("oneOf", []):
            assert any(fits(example, variant) for example in examples), (path, variant)


def test_the_sidecars_answers_fit_the_description(
    app: Flask, client: FlaskClient, call: Callable[..., Any], outgoing: FakeTransport
) -> None:
    """One pass through the bridge API; every 200 answer fits its schema and carries the signature."""
    seen = set()

    def check(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = call(path, {"ip": "203.0.113.7", "user_agent": "Firefox/140", **body})
        assert response.status_code == 200, response.json
        assert response.headers[SIGNATURE]
        assert fits(response.json, answer_schema("post", path)["schema"]), (path, response.json)
        seen.add(("post", path))
        return response.json

    app.extensions["mfa_recovery"].backup_codes.issue(REALM, USER_ID, 5)
    check("/bridge/v1/recovery/start", {})
    check("/bridge/v1/backup-codes/verify", {"code": "0000-0000-00"})
    offer = check("/bridge/v1/backup-codes/setup", {"reason": "low_codes"})
    check("/bridge/v1/backup-codes/confirm", {"set_id": offer["set_id"]})
    check("/bridge/v1/backup-codes/verify", {"code": offer["codes"][0]})
    check("/bridge/v1/email-code/send", {"profile": PROFILE})
    check("/bridge/v1/backup-email/start", {"address": "nina@example.net", "profile": PROFILE})
    code = outgoing.last_code_to("nina@example.net")
    check("/bridge/v1/backup-email/verify", {"code": code, "profile": PROFILE})
    check("/bridge/v1/email-code/send", {"profile": PROFILE})
    check("/bridge/v1/email-code/verify", {"code": outgoing.last_code_to("nina@example.net"), "profile": PROFILE})
    check("/bridge/v1/supervisor", {})
    check("/bridge/v1/supervisor/notify", {"profile": PROFILE})
    check("/bridge/v1/supervisor", {})

    for path in (HEALTH, "/health/live", "/health/ready"):
        health = client.get(path)
        assert SIGNATURE not in health.headers
        # Ready may be 503 here (no Keycloak, no SMTP host checked in unit tests): it fits its schema either way.
        assert fits(health.json, answer_schema("get", path, str(health.status_code))["schema"]), health.json
        seen.add(("get", path))
    assert seen == described()


def test_the_errors_fit_the_description(client: FlaskClient, make_token: Callable[..., str]) -> None:
    path = "/bridge/v1/backup-codes/verify"

    def post(body: str, content_type: str = "application/json", token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or make_token(path)}"}
        return client.post(path, data=body, content_type=content_type, headers=headers)

    refused = {
        "401": post('{"code": "x"}', token="not-a-token"),
        "400": post('{"code": "%s"}' % ("x" * 65)),
        "415": post("{}", content_type="text/plain"),
        "413": post("{" + " " * 20_000 + "}"),
    }
    for status, response in refused.items():
        assert str(response.status_code) == status
        assert fits(response.json, answer_schema("post", path, status)["schema"]), response.json
        assert SIGNATURE not in response.headers
