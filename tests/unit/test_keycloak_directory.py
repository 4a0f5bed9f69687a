"""The directory over Keycloak's admin REST API: the requests it makes as the sidecar's service account, how it maps
Keycloak's users, and how a Keycloak that cannot answer shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from keycloak.exceptions import KeycloakAuthenticationError

from mfa_recovery.admin.errors import KeycloakUnavailable
from mfa_recovery.directory import DirectoryUser, UserContact
from mfa_recovery.keycloak import service_account
from mfa_recovery.keycloak.access import RestKeycloakAccess
from mfa_recovery.keycloak.directory import PAGE_SIZE, KeycloakDirectory
from mfa_recovery.keycloak.service_account import ServiceAccountTokens

from .fakes.keycloak import KEYCLOAK_URL, FakeHttp, FakeOpenId, answer
from .support import REALM

BASE = f"{KEYCLOAK_URL}/admin/realms/{REALM}"
USERS = f"{BASE}/users"
CAROL = {
    "id": "c-1",
    "username": "carol",
    "email": "carol@acme.example",
    "firstName": "Carol",
    "lastName": "de Vries",
    "enabled": True,
    "attributes": {"locale": ["nl"], "supervisor": ["dirk"]},
}
CAROL_USER = DirectoryUser(
    id="c-1",
    username="carol",
    email="carol@acme.example",
    first_name="Carol",
    last_name="de Vries",
    enabled=True,
    attributes={"locale": ("nl",), "supervisor": ("dirk",)},
)
# Keycloak's search may match more than asked (a substring search): only the exact one counts.
CAROL2 = {**CAROL, "id": "c-2", "username": "carol2", "email": "carol2@acme.example"}


@pytest.fixture
def grants(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """The service account's token requests (python-keycloak's ``KeycloakOpenID``, faked)."""
    monkeypatch.setattr(service_account, "KeycloakOpenID", FakeOpenId)
    monkeypatch.setattr(FakeOpenId, "grants", [])
    monkeypatch.setattr(FakeOpenId, "failure", None)
    yield FakeOpenId.grants


@pytest.fixture
def http() -> FakeHttp:
    return FakeHttp()


@pytest.fixture
def access(http: FakeHttp, grants: list[tuple[str, str]]) -> RestKeycloakAccess:
    """Keycloak as the sidecar wires it: the service account's cached token, one connection pool."""
    tokens = ServiceAccountTokens(KEYCLOAK_URL, "mfa-recovery-sidecar", "secret")
    return RestKeycloakAccess(KEYCLOAK_URL, tokens, session=http)


@pytest.fixture
def directory(access: RestKeycloakAccess) -> KeycloakDirectory:
    return KeycloakDirectory(access.as_service())


def test_a_user_by_id(directory: KeycloakDirectory, http: FakeHttp) -> None:
    http.routes[("GET", f"{USERS}/c-1")] = answer(200, {**CAROL, "access": {"view": True}})
    assert directory.get_user(REALM, "c-1") == CAROL_USER
    (sent,) = http.sent
    assert (sent["method"], sent["url"], sent["params"]) == ("GET", f"{USERS}/c-1", None)
    assert sent["headers"]["Authorization"] == "Bearer sa-1"
    assert (sent["timeout"], sent["allow_redirects"]) == (10, False)
    assert directory.user_contact(REALM, "c-1") == UserContact("carol@acme.example", "Carol", "nl")


def test_a_user_keycloak_maps_sparingly(directory: KeycloakDirectory, http: FakeHttp) -> None:
    http.routes[("GET", f"{USERS}/u-2")] = answer(
        200, {"id": "u-2", "username": "x", "email": "", "enabled": False, "attributes": {"one": "v", "none": [None]}}
    )
    assert directory.get_user(REALM, "u-2") == DirectoryUser(
        id="u-2", username="x", enabled=False, attributes={"one": ("v",), "none": ()}
    )
    assert directory.user_contact(REALM, "u-2") == UserContact(None, None, None)


def test_an_id_stays_one_path_segment(directory: KeycloakDirectory, http: FakeHttp) -> None:
    http.routes[("GET", f"{USERS}/..%2Fusers")] = answer(404, {"error": "User not found"})
    assert directory.get_user(REALM, "../users") is None
    assert http.sent[0]["url"] == f"{USERS}/..%2Fusers"


def test_no_such_user_is_none(directory: KeycloakDirectory, http: FakeHttp) -> None:
    http.routes[("GET", f"{USERS}/gone")] = answer(404, {"error": "User not found"})
    assert directory.get_user(REALM, "gone") is None
    assert directory.user_contact(REALM, "gone") is None


def test_the_exact_username(directory: KeycloakDirectory, http: FakeHttp) -> None:
    http.routes[("GET", USERS)] = answer(200, [CAROL2, CAROL])
    assert directory.find_user_by_username(REALM, "Carol") == CAROL_USER
    (sent,) = http.sent
    assert sent["params"] == {"username": "Carol", "exact": "true", "first": 0, "max": PAGE_SIZE}
    assert directory.find_user_by_username(REALM, "caro") is None  # whatever Keycloak matched: not exactly


def test_the_exact_email_address_of_one_user_only(directory: KeycloakDirectory, http: FakeHttp) -> None:
    http.routes[("GET", USERS)] = answer(200, [CAROL2, CAROL])
    assert directory.find_user_by_email(REALM, "CAROL@acme.example") == CAROL_USER
    assert http.sent[0]["params"] == {"email": "CAROL@acme.example", "exact": "true", "first": 0, "max": PAGE_SIZE}
    http.routes[("GET", USERS)] = answer(200, [CAROL, {**CAROL, "id": "c-3", "username": "carol3"}])
    assert directory.find_user_by_email(REALM, "carol@acme.example") is None  # ambiguous
    http.routes[("GET", USERS)] = answer(200, [])
    assert directory.find_user_by_email(REALM, "nobody@acme.example") is None


def test_a_search_reads_every_page(directory: KeycloakDirectory, http: FakeHttp) -> None:
    others = [{**CAROL, "id": f"o-{n}", "username": f"other{n}"} for n in range(PAGE_SIZE)]
    http.routes[("GET", USERS)] = [answer(200, others), answer(200, [CAROL])]
    assert directory.find_user_by_username(REALM, "carol") == CAROL_USER
    assert [sent["params"]["first"] for sent in http.sent] == [0, PAGE_SIZE]


def test_a_user_id_by_username(directory: KeycloakDirectory, http: FakeHttp) -> None:
    http.routes[("GET", USERS)] = answer(200, [CAROL])
    assert directory.find_user_id(REALM, "Carol") == "c-1"
    assert http.sent[0]["params"] == {"username": "carol", "exact": "true", "first": 0, "max": 1}
    http.routes[("GET", USERS)] = answer(200, [])
    assert directory.find_user_id(REALM, "mallory") is None


def test_the_realms_smtp_settings(directory: KeycloakDirectory, http: FakeHttp) -> None:
    smtp = {"host": "smtp.acme.example", "from": "no-reply@acme.example", "password": "**********"}
    http.routes[("GET", BASE)] = answer(200, {"realm": REALM, "smtpServer": smtp})
    assert directory.realm_smtp(REALM) == smtp
    assert (http.sent[0]["method"], http.sent[0]["url"]) == ("GET", BASE)
    http.routes[("GET", BASE)] = answer(200, {"realm": REALM})
    assert directory.realm_smtp(REALM) == {}


LOOK_UPS: list[tuple[str, Callable[[KeycloakDirectory], Any]]] = [
    ("get_user", lambda directory: directory.get_user(REALM, "c-1")),
    ("user_contact", lambda directory: directory.user_contact(REALM, "c-1")),
    ("find_user_by_username", lambda directory: directory.find_user_by_username(REALM, "carol")),
    ("find_user_by_email", lambda directory: directory.find_user_by_email(REALM, "carol@acme.example")),
    ("find_user_id", lambda directory: directory.find_user_id(REALM, "carol")),
    ("realm_smtp", lambda directory: directory.realm_smtp(REALM)),
]


@pytest.mark.parametrize(("name", "look_up"), LOOK_UPS, ids=[name for name, _ in LOOK_UPS])
@pytest.mark.parametrize(
    "outcome",
    [
        requests.ConnectionError("refused"),
        requests.Timeout("slow"),
        answer(500),
        answer(503, raw=b"<html>proxy</html>"),
        answer(401),  # the service account's token refused
        answer(403),  # the service account lacks view-users or view-realm
        answer(400, {"error": "invalid"}),
        answer(200, raw=b"<html>not JSON</html>"),
    ],
    ids=["refused", "timeout", "500", "503", "401", "403", "400", "not-json"],
)
def test_keycloak_that_cannot_answer_is_unavailable(
    directory: KeycloakDirectory, http: FakeHttp, name: str, look_up: Callable[[KeycloakDirectory], Any], outcome: Any
) -> None:
    for url in (f"{USERS}/c-1", USERS, BASE):
        http.routes[("GET", url)] = outcome
    with pytest.raises(KeycloakUnavailable):
        look_up(directory)


@pytest.mark.parametrize(
    ("name", "look_up"), [call for call in LOOK_UPS if call[0] not in ("get_user", "user_contact")]
)
def test_an_unknown_realm_is_unavailable_not_no_user(
    directory: KeycloakDirectory, http: FakeHttp, name: str, look_up: Callable[[KeycloakDirectory], Any]
) -> None:
    for url in (USERS, BASE):
        http.routes[("GET", url)] = answer(404, {"error": "Realm not found."})
    with pytest.raises(KeycloakUnavailable):
        look_up(directory)


def test_no_token_for_the_service_account_is_unavailable(
    directory: KeycloakDirectory, http: FakeHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeOpenId, "failure", KeycloakAuthenticationError("invalid_client", 401))
    with pytest.raises(KeycloakUnavailable, match="service-account token"):
        directory.get_user(REALM, "c-1")
    assert http.sent == []


def test_one_token_serves_the_look_ups_and_the_admin_features(
    access: RestKeycloakAccess, directory: KeycloakDirectory, http: FakeHttp, grants: list[tuple[str, str]]
) -> None:
    http.routes[("GET", f"{USERS}/c-1")] = answer(200, CAROL)
    http.routes[("GET", USERS)] = answer(200, [CAROL])
    http.routes[("GET", BASE)] = answer(200, {"realm": REALM, "browserFlow": "browser"})
    assert directory.get_user(REALM, "c-1") == CAROL_USER
    assert directory.find_user_by_username(REALM, "carol") == CAROL_USER
    assert access.as_service().browser_flow(REALM) == "browser"
    assert grants == [("master", "client_credentials")]
    assert {sent["headers"]["Authorization"] for sent in http.sent} == {"Bearer sa-1"}
