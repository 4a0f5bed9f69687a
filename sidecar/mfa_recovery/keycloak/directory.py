"""The directory (:class:`mfa_recovery.directory.Directory`) over Keycloak's admin REST API, as the sidecar's
service account: the same client, cached token and connection pool as the admin features' service calls
(:mod:`.access`, :mod:`.service_account`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..admin.errors import KeycloakUnavailable, NotFound
from ..directory import DirectoryUser, UserContact
from .rest import KeycloakRest, Representation

PAGE_SIZE = 100  # users per request of a search


class KeycloakDirectory:
    """Looks users up with the sidecar's service account, a client of the master realm
    (:mod:`mfa_recovery.installation.service_account`).

    The service account needs ``view-users`` (users) and ``view-realm`` (SMTP) on each realm it serves. ``keycloak``
    is the service account's client (:meth:`.access.RestKeycloakAccess.as_service`): a refusal of the service
    account, like any other failure to answer, is :class:`KeycloakUnavailable`.
    """

    def __init__(self, keycloak: KeycloakRest) -> None:
        self._keycloak = keycloak

    def find_user_id(self, realm: str, username: str) -> str | None:
        users = self._exact(realm, "username", username.lower(), 0, 1)
        user_id = users[0].get("id") if len(users) == 1 else None
        return user_id if isinstance(user_id, str) and user_id else None

    def get_user(self, realm: str, user_id: str) -> DirectoryUser | None:
        try:
            user = self._keycloak.user(realm, user_id)
        except NotFound:
            return None
        return _directory_user(user)

    def find_user_by_username(self, realm: str, username: str) -> DirectoryUser | None:
        return self._find_one(realm, "username", username)

    def find_user_by_email(self, realm: str, email: str) -> DirectoryUser | None:
        return self._find_one(realm, "email", email)

    def _find_one(self, realm: str, field: str, value: str) -> DirectoryUser | None:
        # exact=true asks Keycloak for equality rather than its default substring search; the filter below
        # keeps that promise whatever the server does with it.
        found: list[Representation] = []
        first = 0
        while True:
            page = self._exact(realm, field, value, first, PAGE_SIZE)
            found.extend(page)
            if len(page) < PAGE_SIZE:
                break
            first += PAGE_SIZE
        users = [_directory_user(user) for user in found]
        matches = [user for user in users if (getattr(user, field) or "").casefold() == value.casefold()]
        return matches[0] if len(matches) == 1 else None

    def _exact(self, realm: str, field: str, value: str, first: int, max_results: int) -> list[Representation]:
        try:
            return self._keycloak.exact_users(realm, field, value, first, max_results)
        except NotFound as exc:
            raise KeycloakUnavailable(f"Keycloak knows no realm {realm}") from exc

    def user_contact(self, realm: str, user_id: str) -> UserContact | None:
        user = self.get_user(realm, user_id)
        return None if user is None else user.contact()

    def realm_smtp(self, realm: str) -> Mapping[str, Any]:
        try:
            representation = self._keycloak.realm(realm)
        except NotFound as exc:
            raise KeycloakUnavailable(f"Keycloak knows no realm {realm}") from exc
        smtp: Mapping[str, Any] = representation.get("smtpServer") or {}
        return smtp


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
