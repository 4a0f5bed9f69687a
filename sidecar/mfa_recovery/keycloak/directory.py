"""Thin adapter over python-keycloak for the few directory look-ups the sidecar needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakError, KeycloakGetError
from requests import RequestException

from ..admin.errors import KeycloakUnavailable
from ..directory import DirectoryUser, UserContact
from ..installation.service_account import SERVICE_REALM

REQUEST_TIMEOUT_SECONDS = 10

T = TypeVar("T")


class KeycloakDirectory:
    """Looks users up with the sidecar's service account, a client of the master realm
    (:mod:`mfa_recovery.installation.service_account`).

    The service account needs ``view-users`` (users) and ``view-realm`` (SMTP) on each realm it serves.
    """

    def __init__(self, server_url: str, client_id: str, client_secret: str) -> None:
        self._server_url = server_url.rstrip("/") + "/"
        self._client_id = client_id
        self._client_secret = client_secret

    def _admin(self, realm: str) -> KeycloakAdmin:
        connection = KeycloakOpenIDConnection(
            server_url=self._server_url,
            realm_name=realm,
            user_realm_name=SERVICE_REALM,
            client_id=self._client_id,
            client_secret_key=self._client_secret,
            grant_type="client_credentials",
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        return KeycloakAdmin(connection=connection)

    def _call(self, realm: str, action: Callable[[KeycloakAdmin], T]) -> T:
        try:
            return action(self._admin(realm))
        except (KeycloakError, RequestException, OSError) as exc:
            raise KeycloakUnavailable(f"Keycloak at {self._server_url} (realm {realm}): {_describe(exc)}") from exc

    def find_user_id(self, realm: str, username: str) -> str | None:
        return self._call(realm, lambda admin: admin.get_user_id(username))

    def get_user(self, realm: str, user_id: str) -> DirectoryUser | None:
        def read(admin: KeycloakAdmin) -> dict[str, Any] | None:
            try:
                return admin.get_user(user_id)
            except KeycloakGetError as exc:
                if getattr(exc, "response_code", None) == 404:
                    return None
                raise

        user = self._call(realm, read)
        return None if user is None else _directory_user(user)

    def find_user_by_username(self, realm: str, username: str) -> DirectoryUser | None:
        return self._find_one(realm, "username", username)

    def find_user_by_email(self, realm: str, email: str) -> DirectoryUser | None:
        return self._find_one(realm, "email", email)

    def _find_one(self, realm: str, field: str, value: str) -> DirectoryUser | None:
        # exact=true asks Keycloak for equality rather than its default substring search; the filter below
        # keeps that promise whatever the server does with it.
        found = self._call(realm, lambda admin: admin.get_users({field: value, "exact": "true"}))
        users = [_directory_user(user) for user in found]
        matches = [user for user in users if (getattr(user, field) or "").casefold() == value.casefold()]
        return matches[0] if len(matches) == 1 else None

    def user_contact(self, realm: str, user_id: str) -> UserContact | None:
        user = self.get_user(realm, user_id)
        return None if user is None else user.contact()

    def realm_smtp(self, realm: str) -> Mapping[str, Any]:
        representation = self._call(realm, lambda admin: admin.get_realm(realm))
        return representation.get("smtpServer") or {}


def _directory_user(user: Mapping[str, Any]) -> DirectoryUser:
    attributes = user.get("attributes") or {}
    return DirectoryUser(
        id=str(user.get("id") or ""),
        username=str(user.get("username") or ""),
        email=_text(user.get("email")),
        first_name=_text(user.get("firstName")),
        last_name=_text(user.get("lastName")),
        enabled=user.get("enabled") is not False,
        attributes={
            str(name): tuple(str(v) for v in (values if isinstance(values, list) else [values]) if v is not None)
            for name, values in attributes.items()
        },
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _describe(exc: Exception) -> str:
    code = getattr(exc, "response_code", None)
    if code:
        return f"HTTP {code}"
    return type(exc).__name__
