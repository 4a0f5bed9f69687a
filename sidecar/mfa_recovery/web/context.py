"""What every door of the web layer reads the same way: the wired services, a JSON object body, the client's own
address and user agent, and the realm and user named in a path. Each refusal is an :class:`ApiError`."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import current_app, request

from .. import plain_text
from ..keycloak.realm_keys import is_realm_name
from ..services import Services
from .errors import ApiError

MAX_IP_LENGTH = 255
MAX_USER_AGENT_LENGTH = 512
# User ids travel in Keycloak URLs (escaped there too); "." and ".." alone are refused, as for realm names
# (keycloak.realm_keys.REALM_NAME), so that no path could be read as a step up.
USER_ID = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9._~@:-]{1,255}\Z")


def services() -> Services:
    """The services this application was built with (``web.app.create_app``)."""
    wired: Services = current_app.extensions["mfa_recovery"]
    return wired


def json_object() -> dict[str, Any]:
    """The body as a JSON object: ``application/json``, at most the application's ``MAX_CONTENT_LENGTH`` (413
    past it), no ``NaN`` or ``Infinity``."""
    if request.mimetype != "application/json":
        raise ApiError(415, "Content-Type must be application/json")
    raw = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def client_detail(value: str | None, limit: int) -> str | None:
    """An address or user agent as a client or Keycloak reports it: cut to ``limit`` and cleaned, not refused (a
    browser with an odd user agent must not lock its user out)."""
    return plain_text.cleaned(value[:limit]) if value else None


def request_client() -> tuple[str | None, str | None]:
    """The address and user agent of this request's own client (an administrator's browser or script)."""
    return (
        client_detail(request.remote_addr, MAX_IP_LENGTH),
        client_detail(request.user_agent.string, MAX_USER_AGENT_LENGTH),
    )


def realm_name(value: str) -> str:
    if not is_realm_name(value):
        raise ApiError(400, "realm must be 1 to 255 letters, digits, '.', '_' or '-'")
    return value


def user_id(value: str) -> str:
    if not USER_ID.match(value):
        raise ApiError(400, "user_id is not a valid user id")
    return value
