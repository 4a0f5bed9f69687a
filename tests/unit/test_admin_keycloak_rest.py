"""The adapter over Keycloak's admin REST API: the requests it makes, and how Keycloak's answers map onto errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from keycloak.exceptions import KeycloakAuthenticationError

from mfa_recovery.admin.errors import Forbidden, InvalidInput, KeycloakUnavailable, NotFound
from mfa_recovery.admin.identity import Administrator
from mfa_recovery.keycloak import service_account
from mfa_recovery.keycloak.access import RestKeycloakAccess
from mfa_recovery.keycloak.rest import KeycloakRest
from mfa_recovery.keycloak.service_account import ServiceAccountTokens

from .fakes.keycloak import KEYCLOAK_URL, FakeHttp, FakeOpenId, answer, user_rep
from .support import REALM, USER_ID

ADMIN = Administrator(subject="a-1", username="admin", realm="master", token="the-admins-token")
BASE = f"{KEYCLOAK_URL}/admin/realms/acme"


def rest(http: FakeHttp, *, service_account: bool = False) -> KeycloakRest:
    return KeycloakRest(
        KEYCLOAK_URL + "/",
        lambda realm: f"token-for-{realm}",
        session=http,
        service_account=service_account,
    )


def test_a_users_page_is_one_call_with_the_full_representation() -> None:
    http = FakeHttp({("GET", f"{BASE}/users"): answer(200, [user_rep(USER_ID, "jdoe")])})
    users = rest(http).users(REALM, "jd", 40, 20)
    assert users[0]["totp"] is True
    (sent,) = http.sent
    assert sent["params"] == {"first": 40, "max": 20, "briefRepresentation": "false", "search": "jd"}
    assert sent["headers"]["Authorization"] == "Bearer token-for-acme"
    assert sent["timeout"] == 10
    assert sent["allow_redirects"] is False


def test_the_count_must_be_a_number() -> None:
    http = FakeHttp({("GET", f"{BASE}/users/count"): answer(200, 42)})
    assert rest(http).count_users(REALM, None) == 42
    assert http.sent[0]["params"] is None
    http.routes[("GET", f"{BASE}/users/count")] = answer(200, {"count": 42})
    with pytest.raises(KeycloakUnavailable):
        rest(http).count_users(REALM, "x")


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (answer(401), Forbidden),
        (answer(403, {"error": "unknown_error"}), Forbidden),
        (answer(404, {"error": "User not found"}), NotFound),
        (answer(400, {"errorMessage": "error-user-attribute-required"}), InvalidInput),
        (answer(400, raw=b"<html>bad request</html>"), InvalidInput),
        (answer(500), KeycloakUnavailable),
        (answer(503), KeycloakUnavailable),
        (answer(200, raw=b"<html>proxy error</html>"), KeycloakUnavailable),
        (answer(200, ["not", "objects"]), KeycloakUnavailable),
        (requests.ConnectionError("refused"), KeycloakUnavailable),
        (requests.Timeout("slow"), KeycloakUnavailable),
    ],
)
def test_keycloak_answers_map_onto_errors(outcome: Any, error: type[Exception]) -> None:
    http = FakeHttp({("GET", f"{BASE}/users/{USER_ID}/credentials"): outcome})
    with pytest.raises(error):
        rest(http).credentials(REALM, USER_ID)


def test_a_refusal_of_the_service_account_is_the_sidecars_fault_not_the_callers() -> None:
    http = FakeHttp({("GET", BASE): answer(403)})
    with pytest.raises(KeycloakUnavailable, match="service account"):
        rest(http, service_account=True).browser_flow(REALM)
    http = FakeHttp({("GET", BASE): answer(400, {"error": "invalid"})})
    with pytest.raises(KeycloakUnavailable):
        rest(http, service_account=True).browser_flow(REALM)


def test_keycloaks_400_tells_the_caller_its_reason_when_fit_to_show() -> None:
    http = FakeHttp({("GET", f"{BASE}/users"): answer(400, {"errorMessage": "Invalid search"})})
    with pytest.raises(InvalidInput, match="Invalid search"):
        rest(http).users(REALM, "a\x05b", 0, 20)
    http = FakeHttp({("GET", f"{BASE}/users"): answer(400, {"error": "x" * 500})})
    with pytest.raises(InvalidInput) as refused:
        rest(http).users(REALM, "a", 0, 20)
    assert "x" * 500 not in str(refused.value)


def test_ids_are_escaped_into_one_path_segment() -> None:
    http = FakeHttp()
    keycloak = rest(http)
    keycloak.delete_credential("my realm", "../users", "a/b?c")
    keycloak.update_execution(REALM, "mfa browser/2", {"id": "x", "requirement": "REQUIRED"})
    assert [sent["url"] for sent in http.sent] == [
        f"{KEYCLOAK_URL}/admin/realms/my%20realm/users/..%2Fusers/credentials/a%2Fb%3Fc",
        f"{BASE}/authentication/flows/mfa%20browser%2F2/executions",
    ]
    assert http.sent[1]["method"] == "PUT"
    assert http.sent[1]["json"] == {"id": "x", "requirement": "REQUIRED"}


def test_a_required_action_is_added_by_putting_the_user_back_with_it() -> None:
    user = {**user_rep(USER_ID, "jdoe", required_actions=["VERIFY_EMAIL"]), "access": {"manage": True}}
    http = FakeHttp({("GET", f"{BASE}/users/{USER_ID}"): answer(200, user)})
    assert rest(http).add_required_action(REALM, USER_ID, "CONFIGURE_TOTP") is True
    get, put = http.sent
    assert (get["method"], put["method"], put["url"]) == ("GET", "PUT", f"{BASE}/users/{USER_ID}")
    expected = {name: value for name, value in user.items() if name != "access"}
    assert put["json"] == {**expected, "requiredActions": ["VERIFY_EMAIL", "CONFIGURE_TOTP"]}


def test_a_required_action_already_there_is_not_written_again() -> None:
    user = user_rep(USER_ID, "jdoe", required_actions=["CONFIGURE_TOTP"])
    http = FakeHttp({("GET", f"{BASE}/users/{USER_ID}"): answer(200, user)})
    assert rest(http).add_required_action(REALM, USER_ID, "CONFIGURE_TOTP") is False
    assert [sent["method"] for sent in http.sent] == ["GET"]


def test_the_realm_calls() -> None:
    http = FakeHttp(
        {
            ("GET", BASE): answer(200, {"realm": "acme", "browserFlow": "mfa-browser"}),
            ("GET", f"{BASE}/authentication/flows/mfa-browser/executions"): answer(200, [{"id": "x"}]),
            ("GET", f"{BASE}/authentication/required-actions/CONFIGURE_TOTP"): answer(200, {"alias": "CONFIGURE_TOTP"}),
            ("GET", f"{BASE}/events"): answer(200, []),
        }
    )
    keycloak = rest(http)
    assert keycloak.browser_flow(REALM) == "mfa-browser"
    assert keycloak.executions(REALM, "mfa-browser") == [{"id": "x"}]
    assert keycloak.required_action(REALM, "CONFIGURE_TOTP") == {"alias": "CONFIGURE_TOTP"}
    keycloak.probe_events(REALM)
    assert http.sent[-1]["params"] == {"max": 1}
    keycloak.update_required_action(REALM, "CONFIGURE_TOTP", {"alias": "CONFIGURE_TOTP", "defaultAction": True})
    assert (http.sent[-1]["method"], http.sent[-1]["json"]["defaultAction"]) == ("PUT", True)
    http.routes[("GET", BASE)] = answer(200, {"realm": "acme"})  # view-users alone gets no flow names
    with pytest.raises(KeycloakUnavailable):
        keycloak.browser_flow(REALM)


def test_the_access_sends_the_administrators_token_or_the_service_accounts() -> None:
    http = FakeHttp({("GET", f"{BASE}/users/count"): answer(200, 1)})
    access = RestKeycloakAccess(KEYCLOAK_URL, lambda realm: f"service-token-{realm}", session=http)
    access.as_admin(ADMIN).count_users(REALM, None)
    access.as_service().count_users(REALM, None)
    assert [sent["headers"]["Authorization"] for sent in http.sent] == [
        "Bearer the-admins-token",
        "Bearer service-token-acme",
    ]


def test_the_service_account_token_is_kept_until_shortly_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_account, "KeycloakOpenID", FakeOpenId)
    monkeypatch.setattr(FakeOpenId, "grants", [])
    now = [0.0]
    tokens = ServiceAccountTokens(KEYCLOAK_URL, "mfa-recovery-sidecar", "secret", monotonic=lambda: now[0])
    assert tokens(REALM) == tokens(REALM) == "sa-1"
    now[0] = 269
    assert tokens(REALM) == "sa-1"
    now[0] = 271
    assert tokens(REALM) == "sa-2"
    assert tokens("other") == "sa-2", "one service account in master serves every realm"
    assert FakeOpenId.grants == [("master", "client_credentials")] * 2

    now[0] = 600
    monkeypatch.setattr(FakeOpenId, "failure", KeycloakAuthenticationError("invalid_client", 401))
    with pytest.raises(KeycloakUnavailable):
        tokens("third")
