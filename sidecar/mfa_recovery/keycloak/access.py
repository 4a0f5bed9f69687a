"""Keycloak's admin REST API as a given caller: an administrator, with the token they sent, or the sidecar's
service account (:mod:`.service_account`)."""

from __future__ import annotations

from typing import Protocol

import requests

from ..admin.identity import Administrator
from .rest import TIMEOUT_SECONDS, Bearer, KeycloakApi, KeycloakRest


class KeycloakAccess(Protocol):
    """Keycloak as a given caller."""

    def as_admin(self, administrator: Administrator) -> KeycloakApi: ...

    def as_service(self) -> KeycloakApi: ...


class RestKeycloakAccess:
    """:class:`KeycloakAccess` over HTTP: one connection pool, the administrator's token or the service account's."""

    def __init__(
        self,
        base_url: str,
        service_tokens: Bearer,
        *,
        timeout: float = TIMEOUT_SECONDS,
        session: requests.Session | None = None,
    ) -> None:
        self._base_url = base_url
        self._service_tokens = service_tokens
        self._timeout = timeout
        self._session = session or requests.Session()

    def as_admin(self, administrator: Administrator) -> KeycloakRest:
        token = administrator.token
        return KeycloakRest(self._base_url, lambda _realm: token, session=self._session, timeout=self._timeout)

    def as_service(self) -> KeycloakRest:
        return KeycloakRest(
            self._base_url, self._service_tokens, session=self._session, timeout=self._timeout, service_account=True
        )
