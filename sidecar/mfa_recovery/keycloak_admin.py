"""Thin adapter over python-keycloak for the few directory look-ups the sidecar needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakError, KeycloakGetError
from requests import RequestException

from .notifications.directory import UserContact

REQUEST_TIMEOUT_SECONDS = 10


class DirectoryUnavailable(Exception):
    """Keycloak could not answer (down, unreachable, or refused our client credentials)."""


class KeycloakDirectory:
    """Looks users up with the service account of the sidecar's client in each realm."""

    def __init__(self, server_url: str, client_id: str, client_secret: str) -> None:
        self._server_url = server_url.rstrip("/") + "/"
        self._client_id = client_id
        self._client_secret = client_secret

    def _admin(self, realm: str) -> KeycloakAdmin:
        connection = KeycloakOpenIDConnection(
            server_url=self._server_url,
            realm_name=realm,
            client_id=self._client_id,
            client_secret_key=self._client_secret,
            grant_type="client_credentials",
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        return KeycloakAdmin(connection=connection)

    def find_user_id(self, realm: str, username: str) -> str | None:
        try:
            return self._admin(realm).get_user_id(username)
        except (KeycloakError, RequestException, OSError) as exc:
            raise DirectoryUnavailable(f"Keycloak at {self._server_url} (realm {realm}): {_describe(exc)}") from exc

    def user_contact(self, realm: str, user_id: str) -> UserContact | None:
        """Needs the service account's realm-management role ``view-users``."""
        try:
            user = self._admin(realm).get_user(user_id)
        except KeycloakGetError as exc:
            if getattr(exc, "response_code", None) == 404:
                return None
            raise DirectoryUnavailable(f"Keycloak at {self._server_url} (realm {realm}): {_describe(exc)}") from exc
        except (KeycloakError, RequestException, OSError) as exc:
            raise DirectoryUnavailable(f"Keycloak at {self._server_url} (realm {realm}): {_describe(exc)}") from exc
        attributes = user.get("attributes") or {}
        locale = attributes.get("locale")
        if isinstance(locale, list):
            locale = locale[0] if locale else None
        return UserContact(
            email=user.get("email") or None,
            first_name=user.get("firstName") or None,
            locale=locale if isinstance(locale, str) else None,
        )

    def realm_smtp(self, realm: str) -> Mapping[str, Any]:
        """Needs the service account's realm-management role ``view-realm``."""
        try:
            representation = self._admin(realm).get_realm(realm)
        except (KeycloakError, RequestException, OSError) as exc:
            raise DirectoryUnavailable(f"Keycloak at {self._server_url} (realm {realm}): {_describe(exc)}") from exc
        return representation.get("smtpServer") or {}


def _describe(exc: Exception) -> str:
    code = getattr(exc, "response_code", None)
    if code:
        return f"HTTP {code}"
    return type(exc).__name__
