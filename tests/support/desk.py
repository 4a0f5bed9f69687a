"""The recovery desk against the real stack: filing a request over HTTP as the request page does, and operators in
Keycloak's ``master`` realm with the rights the desk's documentation names."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import requests
from bs4 import BeautifulSoup
from keycloak import KeycloakAdmin

from tests.support.desk_files import clean_pdf, identity_document, jpeg_with_gps
from tests.support.employees import REALM
from tests.support.soup import attribute

REQUEST_PAGE = "/desk/request"
CASE_NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
OPERATOR_ROLE = "mfa-recovery-operator"
# What an operator needs of Keycloak in the realm of a case (roles of master's client ``<realm>-realm``): reading and
# changing its users, and reading its clients (to list the holders of realm-management's roles).
OPERATOR_RIGHTS = ("manage-users", "view-clients")


def file_request(
    sidecar_url: str, account: str, *, extra: tuple[tuple[str, tuple[str, bytes, str]], ...] = (), **documents: bytes
) -> requests.Response:
    """Open the page (its cookie and form token), then send the form with one document of each kind (``documents``
    replaces one by kind) and the ``extra`` files (field, (name, content, type))."""
    session = requests.Session()
    form = session.get(f"{sidecar_url}{REQUEST_PAGE}", params={"realm": REALM, "lang": "en"}, timeout=30)
    assert form.status_code == 200, form.text
    field = BeautifulSoup(form.text, "html.parser").find("input", {"name": "csrf_token"})
    assert field is not None, form.text
    token = attribute(field, "value")
    files = {
        "kvk_extract": ("uittreksel.pdf", documents.get("kvk_extract", clean_pdf()), "application/pdf"),
        "id_document": ("id.png", documents.get("id_document", identity_document(covered=True)), "image/png"),
        "selfie": ("selfie.jpg", documents.get("selfie", jpeg_with_gps()), "image/jpeg"),
    }
    fields = {"csrf_token": token, "organisation": "Acme B.V.", "realm": REALM, "account": account,
              "phone": "+31 20 123 4567", "kvk_number": "12345678"}  # fmt: skip
    return session.post(f"{sidecar_url}{REQUEST_PAGE}", data=fields, files=[*files.items(), *extra],
                        headers={"Origin": sidecar_url}, timeout=60)  # fmt: skip


def case_number_of(response: requests.Response) -> str:
    found = CASE_NUMBER.search(BeautifulSoup(response.text, "html.parser").get_text(" "))
    assert found, response.text
    return found.group(0)


@dataclass(frozen=True)
class Operator:
    username: str
    password: str
    user_id: str


def create_operator(master_admin: KeycloakAdmin, *, operator_role: bool = True) -> Operator:
    """A user of ``master`` holding the operator role (which the stack's start-up created) and, in the demo realm,
    only :data:`OPERATOR_RIGHTS`; ``operator_role=False``: the same rights without the role."""
    username, password = f"operator-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    user_id = master_admin.create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@operators.example",
            "emailVerified": True,
            "firstName": "Olga",
            "lastName": "Operator",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    if operator_role:
        master_admin.assign_realm_roles(user_id, [master_admin.get_realm_role(OPERATOR_ROLE)])
    realm_client = master_admin.get_client_id(f"{REALM}-realm")
    assert realm_client is not None
    rights = [master_admin.get_client_role(realm_client, role) for role in OPERATOR_RIGHTS]
    master_admin.assign_client_role(user_id, realm_client, rights)
    return Operator(username, password, user_id)
