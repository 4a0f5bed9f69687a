"""Keycloak's admin REST API over ``requests``, with the token of whoever calls (an administrator's own, or the
sidecar's service account's; :mod:`.access`).

Plain ``requests`` rather than python-keycloak: ``KeycloakAdmin`` is built around obtaining and refreshing its
own token, while an admin action must carry, unchanged, the token the administrator sent us, so that Keycloak's
permissions decide and its admin events name the real administrator. A thin adapter also keeps the mapping of
Keycloak's answers exact: 401/403 → :class:`Forbidden`, 404 → :class:`NotFound`, anything else that is not a
success (connection errors, timeouts, 5xx, an unexpected 4xx or body) → :class:`KeycloakUnavailable`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote

import requests

from ..admin.errors import Forbidden, InvalidInput, KeycloakUnavailable, NotFound

TIMEOUT_SECONDS = 10
MAX_ERROR_SHOWN = 200

OTP_CREDENTIAL = "otp"
BACKUP_CODES_CREDENTIAL = "mfa-recovery-backup-codes"
CONFIGURE_TOTP = "CONFIGURE_TOTP"

Representation = dict[str, Any]
Bearer = Callable[[str], str]
"""The access token to send for calls about a realm."""


class KeycloakApi(Protocol):
    """The calls the admin API makes; :class:`KeycloakRest` in production, a fake in the unit tests."""

    def users(self, realm: str, search: str | None, first: int, max_results: int) -> list[Representation]:
        """A page of full user representations (``briefRepresentation=false``: with ``totp``)."""

    def count_users(self, realm: str, search: str | None) -> int: ...

    def user(self, realm: str, user_id: str) -> Representation:
        """One user, with ``access`` (what the caller may do to them), ``totp`` and ``requiredActions``."""

    def credentials(self, realm: str, user_id: str) -> list[Representation]: ...

    def delete_credential(self, realm: str, user_id: str, credential_id: str) -> None: ...

    def add_required_action(self, realm: str, user_id: str, action: str) -> bool:
        """Add ``action`` to the user's required actions; False when it was there already."""

    def client_uuid(self, realm: str, client_id: str) -> str | None:
        """The id of the realm's client named ``client_id`` (such as ``realm-management``); None when there is none."""

    def client_role_users(
        self, realm: str, client_uuid: str, role: str, first: int, max_results: int
    ) -> list[Representation]:
        """A page of the users holding the client's role directly (Keycloak's ``…/roles/{role}/users``)."""

    def probe_events(self, realm: str) -> None:
        """Returns when the caller may read the realm's events; raises :class:`Forbidden` otherwise."""

    def probe_realm(self, realm: str) -> None:
        """Returns when the caller may see the realm in the admin API at all (any admin role of it)."""

    def browser_flow(self, realm: str) -> str:
        """The alias of the realm's browser flow."""

    def executions(self, realm: str, flow_alias: str) -> list[Representation]:
        """The flow's executions, nested ones included (flat, with ``level`` and ``index``)."""

    def update_execution(self, realm: str, flow_alias: str, execution: Representation) -> None: ...

    def required_action(self, realm: str, alias: str) -> Representation: ...

    def update_required_action(self, realm: str, alias: str, representation: Representation) -> None: ...


class KeycloakRest:
    """:class:`KeycloakApi` over HTTP. ``service_account``: the sidecar's own token is sent, so a refusal is a
    configuration fault of the sidecar (reported as :class:`KeycloakUnavailable`), not the caller's."""

    def __init__(
        self,
        base_url: str,
        bearer: Bearer,
        *,
        session: requests.Session | None = None,
        timeout: float = TIMEOUT_SECONDS,
        service_account: bool = False,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._bearer = bearer
        self._session = session or requests.Session()
        self._timeout = timeout
        self._service_account = service_account

    # -- users -------------------------------------------------------------------------------------------------

    def users(self, realm: str, search: str | None, first: int, max_results: int) -> list[Representation]:
        params: dict[str, Any] = {"first": first, "max": max_results, "briefRepresentation": "false"}
        if search:
            params["search"] = search
        return _list(self._call("GET", realm, "/users", params=params))

    def exact_users(self, realm: str, field: str, value: str, first: int, max_results: int) -> list[Representation]:
        """A page of the users whose ``field`` (``username``, ``email``) is ``value`` as a whole (``exact=true``
        rather than Keycloak's default substring search; Keycloak ignores case), in full representations."""
        params = {field: value, "exact": "true", "first": first, "max": max_results}
        return _list(self._call("GET", realm, "/users", params=params))

    def count_users(self, realm: str, search: str | None) -> int:
        count = self._call("GET", realm, "/users/count", params={"search": search} if search else None)
        if not isinstance(count, int) or isinstance(count, bool):
            raise KeycloakUnavailable(f"Keycloak answered {count!r} for a user count")
        return count

    def user(self, realm: str, user_id: str) -> Representation:
        return _object(self._call("GET", realm, f"/users/{_segment(user_id)}"))

    def credentials(self, realm: str, user_id: str) -> list[Representation]:
        return _list(self._call("GET", realm, f"/users/{_segment(user_id)}/credentials"))

    def delete_credential(self, realm: str, user_id: str, credential_id: str) -> None:
        self._call("DELETE", realm, f"/users/{_segment(user_id)}/credentials/{_segment(credential_id)}")

    def add_required_action(self, realm: str, user_id: str, action: str) -> bool:
        user = self.user(realm, user_id)
        actions = [str(name) for name in user.get("requiredActions") or []]
        if action in actions:
            return False
        # The whole representation goes back, as the admin console does; ``access`` only describes the caller.
        changed = {name: value for name, value in user.items() if name != "access"}
        changed["requiredActions"] = [*actions, action]
        self._call("PUT", realm, f"/users/{_segment(user_id)}", json=changed)
        return True

    # -- clients and their roles --------------------------------------------------------------------------------

    def client_uuid(self, realm: str, client_id: str) -> str | None:
        found = _list(self._call("GET", realm, "/clients", params={"clientId": client_id, "search": "false"}))
        ids = [client.get("id") for client in found if client.get("clientId") == client_id]
        return ids[0] if ids and isinstance(ids[0], str) else None

    def client_role_users(
        self, realm: str, client_uuid: str, role: str, first: int, max_results: int
    ) -> list[Representation]:
        params = {"first": first, "max": max_results, "briefRepresentation": "true"}
        path = f"/clients/{_segment(client_uuid)}/roles/{_segment(role)}/users"
        return _list(self._call("GET", realm, path, params=params))

    # -- realm -------------------------------------------------------------------------------------------------

    def probe_events(self, realm: str) -> None:
        self._call("GET", realm, "/events", params={"max": 1})

    def probe_realm(self, realm: str) -> None:
        self._call("GET", realm, "")

    def realm(self, realm: str) -> Representation:
        """The realm's representation (with ``smtpServer`` and ``browserFlow`` for a caller with ``view-realm``)."""
        return _object(self._call("GET", realm, ""))

    def browser_flow(self, realm: str) -> str:
        alias = self.realm(realm).get("browserFlow")
        if not isinstance(alias, str) or not alias:
            raise KeycloakUnavailable(f"realm {realm} names no browser flow (is view-realm granted?)")
        return alias

    def executions(self, realm: str, flow_alias: str) -> list[Representation]:
        return _list(self._call("GET", realm, f"/authentication/flows/{_segment(flow_alias)}/executions"))

    def update_execution(self, realm: str, flow_alias: str, execution: Representation) -> None:
        self._call("PUT", realm, f"/authentication/flows/{_segment(flow_alias)}/executions", json=execution)

    def required_action(self, realm: str, alias: str) -> Representation:
        return _object(self._call("GET", realm, f"/authentication/required-actions/{_segment(alias)}"))

    def update_required_action(self, realm: str, alias: str, representation: Representation) -> None:
        self._call("PUT", realm, f"/authentication/required-actions/{_segment(alias)}", json=representation)

    # -- HTTP --------------------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        realm: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        url = f"{self._base_url}/admin/realms/{_segment(realm)}{path}"
        what = f"{method} {url}"
        headers = {"Authorization": f"Bearer {self._bearer(realm)}", "Accept": "application/json"}
        try:
            response = self._session.request(
                method, url, params=params, json=json, headers=headers, timeout=self._timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise KeycloakUnavailable(f"{what}: {type(exc).__name__}") from exc
        status = response.status_code
        if status in (401, 403):
            if self._service_account:
                raise KeycloakUnavailable(f"{what}: Keycloak refused the sidecar's service account (HTTP {status})")
            raise Forbidden("Keycloak refused this action for your account")
        if status == 404:
            raise NotFound("not found in Keycloak")
        if status == 400 and not self._service_account:
            # What the administrator sent (a search term, a reason Keycloak checks) is refused: their 400, not our 502.
            raise InvalidInput(_refusal(response))
        if not 200 <= status < 300:
            raise KeycloakUnavailable(f"{what}: HTTP {status} {response.text[:MAX_ERROR_SHOWN]!r}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise KeycloakUnavailable(f"{what}: the answer is not JSON") from exc


def _refusal(response: requests.Response) -> str:
    """Keycloak's 400 for the caller: its short error text, when it gives one fit to show."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = next(
        (body[key] for key in ("errorMessage", "error_description", "error") if isinstance(body, dict) and key in body),
        None,
    )
    shown = f": {detail}" if isinstance(detail, str) and detail.isprintable() and len(detail) <= 200 else ""
    return f"Keycloak refused the request as invalid{shown}"


def _segment(value: str) -> str:
    """One path segment: every reserved character escaped, so an id cannot reach another endpoint."""
    return quote(value, safe="")


def _object(value: Any) -> Representation:
    if not isinstance(value, dict):
        raise KeycloakUnavailable("Keycloak answered something other than a JSON object")
    return value


def _list(value: Any) -> list[Representation]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise KeycloakUnavailable("Keycloak answered something other than a list of objects")
    return value


def may_manage(user: Mapping[str, Any]) -> bool:
    """Keycloak's own answer, in a user representation read with an administrator's token, to "may this
    administrator manage this user?" (``access.manage``; fine-grained admin permissions included)."""
    access = user.get("access")
    return isinstance(access, dict) and access.get("manage") is True
