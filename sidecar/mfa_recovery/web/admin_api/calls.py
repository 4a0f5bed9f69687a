"""Reading an admin API call: the realm and user in the path, the administrator's bearer token, query parameters
and the JSON body. Bad input is an :class:`ApiError` 400; token refusals are the domain's ``InvalidToken``."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Any

from flask import request

from ...admin import inputs
from ...admin.errors import InvalidToken
from ...admin.identity import AdminCall
from .. import openapi
from ..context import json_object, realm_name, request_client, services
from ..errors import ApiError

DIGITS = re.compile(r"\d{1,10}\Z")
FLASK_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
MAX_FIRST = 1_000_000
MAX_PAGE = 100


def admin_call(realm: str) -> AdminCall:
    """The administrator calling about ``realm`` (a valid name), from their bearer token."""
    realm_name(realm)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("no bearer token")
    administrator = services().admin_tokens.verify(token.strip(), realm)
    ip, user_agent = request_client()
    return AdminCall(administrator, ip=ip, user_agent=user_agent)


def body(*, optional: bool = False) -> dict[str, Any]:
    """The JSON object sent; ``optional``: an empty body reads as ``{}``."""
    if optional and not request.get_data(cache=True):  # 413 past the size limit, as for any body
        return {}
    return json_object()


def optional_reason(values: dict[str, Any]) -> Any:
    """The ``reason`` of a call whose reason may be left out (absent or null); sent, it must say something: an empty
    or blank one is refused, as the description's ``Reason`` says. The rest is checked by ``inputs.reason``."""
    value = values.get("reason")
    if isinstance(value, str) and not value.strip():
        raise ApiError(400, "reason must not be empty; leave it out to give none")
    return value


def boolean(values: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = values.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be true or false")
    return value


def integer(name: str, default: int, lo: int, hi: int) -> int:
    """An optional integer from the query; present, it must be one (``first=`` is no integer)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not DIGITS.match(raw) or not lo <= int(raw) <= hi:
        raise ApiError(400, f"{name} must be an integer from {lo} to {hi}")
    return int(raw)


def page(default_max: int) -> tuple[int, int]:
    """``first`` (at least 0) and ``max`` (1 to 100) from the query."""
    return integer("first", 0, 0, MAX_FIRST), integer("max", default_max, 1, MAX_PAGE)


def text(name: str, max_length: int) -> str | None:
    """An optional query parameter, one line; blank reads as absent."""
    return inputs.search_term(name, request.args.get(name, ""), max_length)


def moment(name: str) -> datetime | None:
    """An optional ISO 8601 date-time from the query (UTC when it names no offset); present, it must be one
    (``until=`` is no date-time)."""
    if name not in request.args:
        return None
    raw = text(name, 64)
    try:
        value = datetime.fromisoformat(raw or "")
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 date-time, e.g. 2025-11-25T14:03:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def only_described_query() -> None:
    """Refuse a query parameter the description does not name for this operation: a misspelt ``serach=`` must not
    quietly list everyone."""
    if request.url_rule is None:
        return
    unknown = sorted(set(request.args) - described_query(request.url_rule.rule, request.method.lower()))
    if unknown:
        raise ApiError(400, f"unknown query parameter {unknown[0]!r}")


@functools.cache
def described_query(rule: str, method: str) -> frozenset[str]:
    """The query parameters the admin API's description names for the operation at Flask ``rule``."""
    document = openapi.document(openapi.ADMIN)
    item = document["paths"].get(FLASK_VARIABLE.sub(r"{\1}", rule), {})
    parameters = [*item.get("parameters", []), *item.get(method, {}).get("parameters", [])]
    resolved = [
        document["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in parameters
    ]
    return frozenset(p["name"] for p in resolved if p.get("in") == "query")
