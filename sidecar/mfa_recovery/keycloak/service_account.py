"""The sidecar's own access token for Keycloak's admin REST API: the client credentials grant of its client in the
master realm (:mod:`mfa_recovery.installation.service_account`), obtained through python-keycloak and cached."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

from ..admin.errors import KeycloakUnavailable
from ..installation.service_account import SERVICE_REALM
from .rest import TIMEOUT_SECONDS

TOKEN_MARGIN_SECONDS = 30  # a service-account token is renewed this long before it expires


class ServiceAccountTokens:
    """The sidecar's own access token (client credentials grant of its client in the master realm, whose service
    account holds roles on each realm served; :mod:`mfa_recovery.installation.service_account`), kept until
    shortly before it expires. One token serves every realm."""

    def __init__(
        self,
        server_url: str,
        client_id: str,
        client_secret: str,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._server_url = server_url.rstrip("/") + "/"
        self._client_id = client_id
        self._client_secret = client_secret
        self._monotonic = monotonic
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def __call__(self, realm: str) -> str:
        """A token for calls about ``realm`` (the same for every realm)."""
        now = self._monotonic()
        with self._lock:
            cached = self._token
        if cached is not None and cached[1] > now:
            return cached[0]
        openid = KeycloakOpenID(
            server_url=self._server_url,
            realm_name=SERVICE_REALM,
            client_id=self._client_id,
            client_secret_key=self._client_secret,
            timeout=TIMEOUT_SECONDS,
        )
        try:
            answer = openid.token(grant_type="client_credentials")
        except (KeycloakError, requests.RequestException, OSError) as exc:
            raise KeycloakUnavailable(f"no service-account token from {SERVICE_REALM}: {type(exc).__name__}") from exc
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise KeycloakUnavailable(f"no service-account token from {SERVICE_REALM}")
        lifetime = answer.get("expires_in")
        seconds = lifetime if isinstance(lifetime, int | float) else 60
        with self._lock:
            self._token = (token, now + max(0, seconds - TOKEN_MARGIN_SECONDS))
        return token
