"""The request id: one per request, in every log line of it and in the answer's ``X-Request-Id``.

Keycloak's bridge sends a random one with each call, so its log and ours can be matched. A caller's id is taken
only when it is 1 to 64 printable ASCII characters without spaces; anything else (too long, a newline that could
forge a log line, non-ASCII) is replaced by a new random one, never repaired.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar, Token
from dataclasses import dataclass

HEADER = "X-Request-Id"
MAX_LENGTH = 64
_ACCEPTABLE = re.compile(rf"[\x21-\x7e]{{1,{MAX_LENGTH}}}\Z")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    route: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("mfa_recovery_request", default=None)


def new_request_id() -> str:
    return secrets.token_hex(16)


def acceptable(value: str | None) -> bool:
    return value is not None and _ACCEPTABLE.match(value) is not None


def request_id_from(header: str | None) -> str:
    """The caller's id when acceptable, else a new one."""
    return header if header is not None and acceptable(header) else new_request_id()


def bind(context: RequestContext) -> Token[RequestContext | None]:
    return _current.set(context)


def unbind(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()
