"""The admin API against its OpenAPI description, on the real stack: schemathesis generates requests from the
description and checks every answer (no 5xx; a documented status, content type, body and headers; invalid input
refused), as a realm administrator made by the test. Calls that change something reach only this test's own
employees (every ``{user_id}`` is one of them) and the realm's policy, which is put back afterwards. Also:
gunicorn's own refusals of an oversized request line or header fields come back as the API's JSON errors.
"""

from __future__ import annotations

import copy
import http.client
import json
import socket
import sys
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mfa_recovery.web import openapi
from tests.support.admin_api import token as admin_token
from tests.support.desk import case_number_of, create_operator, file_request
from tests.support.employees import REALM

EMPLOYEES = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Small per operation, reproducible, and nothing written into the repository (no example database).
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    # One administrator and one set of employees for all the cases of an operation: the fixture is meant to be shared.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
CALLS: Counter[str] = Counter()  # cases sent, by mode: the test's report at the end of the module
STATUSES: Counter[str] = Counter()  # answers, by operation and status


PLACEHOLDERS = [f"employee-{n}" for n in range(EMPLOYEES)]  # stand for this test's employees until it runs
CASE_PLACEHOLDERS = [f"case-{n}" for n in range(EMPLOYEES)]  # and for the desk cases they file
DOCUMENT_PLACEHOLDER = "document-of-the-case"


@pytest.fixture
def target(administrator, admin_api, new_employee, restore_policy) -> Iterator[dict]:
    """A realm administrator's bearer token and this test's own employees (by placeholder). Afterwards MFA is not
    forced (through the API, so the sidecar drops its snapshot) and the realm's settings are as they were
    (``restore_policy``)."""
    api = admin_api(administrator("realm-admin"))
    ids = {placeholder: new_employee().user_id for placeholder in PLACEHOLDERS}
    yield {"headers": {"Authorization": f"Bearer {api.bearer}"}, "ids": ids}
    # The same administrator's token: a case may have forced MFA, and a new administrator (without OTP) could then
    # not get one.
    api.set_policy(False, "schema test: put back")


def described(mode: GenerationMode):
    """The description as schemathesis reads it, with ``{realm}`` the test realm, ``{user_id}`` one of the
    placeholders (a valid call can only reach this test's employees), and a desk case and its document this test's
    own. Invalid ones (``mode`` negative) may name other values, which no user or case has."""
    document = copy.deepcopy(openapi.document(openapi.ADMIN))
    parameters = document["components"]["parameters"]
    parameters["realm"]["schema"] = {"type": "string", "enum": [REALM]}
    parameters["user_id"]["schema"] = {"type": "string", "enum": PLACEHOLDERS}
    parameters["case_number"]["schema"] = {"type": "string", "enum": CASE_PLACEHOLDERS}
    parameters["document_id"]["schema"] = {"type": "string", "enum": [DOCUMENT_PLACEHOLDER]}
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(modes=[mode])
    return schema


def send(case, sidecar, target, checks):
    """The case with its placeholders replaced by the employee's id, the desk case's number and a document of that
    case, sent to the test sidecar and checked."""
    parameters = case.path_parameters or {}
    for name, values in (("user_id", target["ids"]), ("case_number", target.get("cases", {}))):
        if parameters.get(name) in values:
            parameters[name] = values[parameters[name]]
    if parameters.get("document_id") == DOCUMENT_PLACEHOLDER:
        parameters["document_id"] = target["documents"].get(parameters.get("case_number"), DOCUMENT_PLACEHOLDER)
    if case.query and case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE:
        # requests drops a parameter whose value is None or an empty list: send it empty, so that the invalid
        # request is the one sent
        case.query = {name: "" if value is None or value == [] else value for name, value in case.query.items()}
    response = case.call(base_url=sidecar.url, headers=target["headers"])
    STATUSES[f"{case.operation.label} {response.status_code}"] += 1
    case.validate_response(response, checks=checks, headers=target["headers"])


# The recovery desk's operations (``/desk/``) need an operator's token and filed cases: they have runs of their own.
positive = described(GenerationMode.POSITIVE).exclude(path_regex="/desk/")
negative = described(GenerationMode.NEGATIVE).include(path_regex="/realms/")  # the description takes no input
desk_positive = described(GenerationMode.POSITIVE).include(path_regex="/desk/")
desk_negative = described(GenerationMode.NEGATIVE).include(path_regex="/desk/.*/(notes|approve|reject)$")


@positive.parametrize()
@SETTINGS
def test_valid_requests_get_described_answers(case, sidecar, target):
    send(case, sidecar, target, CHECKS)
    CALLS["positive"] += 1


@negative.parametrize()
@SETTINGS
def test_invalid_requests_are_refused_as_described(case, sidecar, target):
    send(case, sidecar, target, [*CHECKS, negative_data_rejection])
    CALLS["negative"] += 1


@pytest.fixture
def desk_target(master_admin, admin_api_ready, keycloak, sidecar, new_employee) -> dict:
    """An operator's bearer token, and desk cases filed by this test's own employees with their documents (by
    placeholder). Approving needs one of this test's user ids, which no generated body names, so nothing changes in
    Keycloak; a rejection closes only this test's cases."""
    operator = create_operator(master_admin)
    bearer = admin_token(keycloak, "master", operator.username, operator.password)
    headers = {"Authorization": f"Bearer {bearer}"}
    cases = {placeholder: case_number_of(file_request(sidecar.url, new_employee().username))
             for placeholder in CASE_PLACEHOLDERS}  # fmt: skip
    documents = {}
    for number in cases.values():
        case = requests.get(f"{sidecar.url}/admin/v1/desk/cases/{number}", headers=headers, timeout=30)
        assert case.status_code == 200, case.text
        documents[number] = case.json()["documents"][0]["id"]
    return {"headers": headers, "ids": {}, "cases": cases, "documents": documents}


@desk_positive.parametrize()
@SETTINGS
def test_valid_desk_requests_get_described_answers(case, sidecar, desk_target):
    send(case, sidecar, desk_target, CHECKS)
    CALLS["desk positive"] += 1


@desk_negative.parametrize()
@SETTINGS
def test_invalid_desk_requests_are_refused_as_described(case, sidecar, desk_target):
    send(case, sidecar, desk_target, [*CHECKS, negative_data_rejection])
    CALLS["desk negative"] += 1


def test_cases_were_sent():
    """Runs after the two above: a few hundred cases in all, both kinds."""
    print(f"schemathesis cases: {dict(CALLS)}", file=sys.stderr)
    print("\n".join(f"  {key}: {count}" for key, count in sorted(STATUSES.items())), file=sys.stderr)
    assert CALLS["positive"] >= 100 and CALLS["negative"] >= 50, CALLS
    assert CALLS["desk positive"] >= 50 and CALLS["desk negative"] >= 20, CALLS
    answered = {key.rsplit(" ", 1)[0] for key in STATUSES if key[-4:] in (" 200", " 201")}
    assert answered >= {operation.ok().label for operation in positive.get_all_operations()}  # each did its work
    # every desk operation did its work, but approving (no generated body names one of this test's users)
    desk_work = {operation.ok().label for operation in desk_positive.get_all_operations()}
    assert answered >= {label for label in desk_work if not label.endswith("/approve")}


# -- gunicorn's refusals --------------------------------------------------------------------------------------------


def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is and read the answer (gunicorn closes the connection after a refusal)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        response = http.client.HTTPResponse(conn)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


@pytest.mark.parametrize(
    ("request_line", "headers", "status", "error"),
    [
        ("GET /admin/v1/realms/acme/employees?search=" + "a" * 4100 + " HTTP/1.1", "", 414, "uri_too_long"),
        ("GET /admin/v1/realms/acme/employees HTTP/1.1", "X-Big: " + "b" * 8200 + "\r\n", 431,
         "header_fields_too_large"),
        ("GET /admin/v1/realms/acme/employees HTTP/1.1", "".join(f"X-H{i}: v\r\n" for i in range(101)), 431,
         "header_fields_too_large"),
    ],
)  # fmt: skip
def test_gunicorns_refusals_are_json_errors(sidecar, request_line, headers, status, error):
    request = f"{request_line}\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()
    got, response_headers, body = raw_request(sidecar.port, request)
    assert got == status
    assert response_headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == error and json.loads(body)["message"]


def test_requests_within_the_limits_reach_the_api(sidecar):
    line = "GET /admin/v1/realms/acme/employees?search=" + "a" * 3900 + " HTTP/1.1"
    status, _, body = raw_request(sidecar.port, f"{line}\r\nHost: 127.0.0.1\r\nX-Big: {'b' * 8000}\r\n\r\n".encode())
    assert status == 401 and json.loads(body)["error"] == "invalid_token"  # the application answered
