"""The OpenAPI description of the admin API: valid, served, and in step with the routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from flask import Flask

from mfa_recovery.backup_codes.hashing import CodeHasher
from mfa_recovery.config import Settings
from mfa_recovery.web import openapi

from .fakes.admin_api import AdminHarness, close, make_harness
from .fakes.clock import FakeClock
from .support import REALM, USER_ID

PREFIX = "/admin/v1"
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def admin(settings: Settings, clock: FakeClock, fast_hasher: CodeHasher) -> Iterator[AdminHarness]:
    harness = make_harness(settings, clock, fast_hasher)
    yield harness
    close(harness)


def spec() -> dict[str, Any]:
    return openapi.document(openapi.ADMIN)


def routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path) of every rule under the prefix, ``<x>`` written ``{x}``, HEAD and OPTIONS left out."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found |= {(method.lower(), path) for method in rule.methods or () if method.lower() in METHODS}
    return found


def described() -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec()["paths"].items() for method in item if method in METHODS}


def test_every_route_is_described_and_every_description_is_a_route(admin: AdminHarness) -> None:
    assert routes(admin.app) == described()
    assert len(described()) == 18


def test_the_description_is_valid_openapi() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec())


def test_the_description_names_its_parameters_and_errors() -> None:
    document = spec()
    assert all(path.startswith(PREFIX + "/") for path in document["paths"])
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, item in document["paths"].items():
        named = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            assert {"414", "431"} <= set(operation["responses"]), (method, path)  # gunicorn's, in JSON
            refs = {p.get("$ref", "").rsplit("/", 1)[-1] for p in operation.get("parameters", [])}
            assert named <= refs, (method, path)
            if path.startswith((PREFIX + "/realms/", PREFIX + "/desk/")):
                assert {"400", "401", "403", "502"} <= set(operation["responses"]), (method, path)
            else:
                assert operation["security"] == []


def test_the_description_is_served_as_yaml_and_json(admin: AdminHarness) -> None:
    as_yaml = admin.client.get(f"{PREFIX}/openapi.yaml")  # no token needed
    assert as_yaml.status_code == 200
    assert as_yaml.headers["Content-Type"] == "application/yaml"  # RFC 9512; YAML is UTF-8, no charset parameter
    assert yaml.safe_load(as_yaml.get_data(as_text=True)) == spec()
    as_json = admin.client.get(f"{PREFIX}/openapi.json")
    assert as_json.status_code == 200
    assert as_json.headers["Content-Type"] == "application/json"
    assert as_json.json == spec()
    assert as_json.headers["Cache-Control"] == "no-store"


def inline(node: Any, document: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points at (the description has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return inline(target, document)
        return {name: inline(value, document) for name, value in node.items()}
    if isinstance(node, list):
        return [inline(value, document) for value in node]
    return node


def check(response: Any, method: str, path: str) -> None:
    """The answer matches what the description says of this status."""
    validator = pytest.importorskip("openapi_schema_validator")
    document = spec()
    described_response = inline(document["paths"][path][method]["responses"][str(response.status_code)], document)
    schema = described_response["content"]["application/json"]["schema"]
    validator.validate(response.json, schema, cls=validator.OAS30Validator)


def test_the_answers_match_the_description(admin: AdminHarness, clock: FakeClock) -> None:
    realm = f"{PREFIX}/realms/{{realm}}"
    employee = f"{realm}/employees/{{user_id}}"
    admin.services.backup_codes.issue(REALM, USER_ID, 10)
    admin.services.audit.record(REALM, "bridge", USER_ID, "backup_code.verify", "accepted", {"attempt": "a.b"})
    base = f"{PREFIX}/realms/{REALM}"
    one = f"{base}/employees/{USER_ID}"

    check(admin.get(f"{base}/employees"), "get", f"{realm}/employees")
    check(admin.get(one), "get", employee)
    check(admin.get(f"{base}/audit"), "get", f"{realm}/audit")
    check(admin.get(f"{base}/policy"), "get", f"{realm}/policy")
    check(admin.send("PUT", f"{base}/policy", {"force_mfa": True, "reason": "r"}), "put", f"{realm}/policy")
    check(admin.send("POST", f"{one}/disable-mfa", {"reason": "r"}), "post", f"{employee}/disable-mfa")
    check(admin.send("PUT", f"{base}/policy", {"force_mfa": False, "reason": "r"}), "put", f"{realm}/policy")
    check(admin.send("POST", f"{one}/disable-mfa", {"reason": "r"}), "post", f"{employee}/disable-mfa")
    check(admin.send("DELETE", f"{one}/backup-codes"), "delete", f"{employee}/backup-codes")
    check(admin.send("DELETE", f"{one}/backup-email"), "delete", f"{employee}/backup-email")
    check(admin.get(one), "get", employee)  # now with the admin events

    check(admin.client.get(f"{base}/employees"), "get", f"{realm}/employees")  # 401
    check(admin.get(f"{base}/employees?max=0"), "get", f"{realm}/employees")  # 400
    check(admin.get(f"{base}/employees/ghost"), "get", employee)  # 404
    admin.keycloak.step()["requirement"] = "REQUIRED"
    check(admin.send("POST", f"{one}/disable-mfa", {"reason": "r"}), "post", f"{employee}/disable-mfa")  # 409
    admin.keycloak.down = True
    check(admin.get(f"{base}/audit"), "get", f"{realm}/audit")  # 502
