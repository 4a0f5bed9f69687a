"""Thin adapter over python-keycloak for the few directory look-ups the sidecar needs."""

from __future__ import annotations

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakError
from requests import RequestException

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


def _describe(exc: Exception) -> str:
    code = getattr(exc, "response_code", None)
    if code:
        return f"HTTP {code}"
    return type(exc).__name__
