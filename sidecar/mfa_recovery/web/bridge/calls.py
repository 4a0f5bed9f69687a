"""Reading a bridge call: the token (who), the JSON body, the client details and the user's profile (from where,
in which language). Every refusal is an :class:`ApiError` with a JSON body; nothing here leaks a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, g, request

from ... import plain_text
from ...bridge_auth.call_work import CallWork
from ...bridge_auth.tokens import BridgeClaims, BridgeKeysUnavailable, InvalidBridgeToken, TokenUse
from ...caller import NO_PROFILE, Caller, Profile
from ...services import Services
from ..context import MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH, client_detail, json_object, services
from ..errors import ApiError
from .refusals import EXTENSION as REFUSALS
from .refusals import RefusalLog

logger = logging.getLogger(__name__)

# The profile's fields and their longest allowed value (docs/architecture.md, the bridge contract).
PROFILE_FIELDS = {"username": 255, "first_name": 255, "email": 255, "locale": 32}


def _authenticate(svc: Services) -> tuple[BridgeClaims, TokenUse]:
    """The checked token; recording its use (``TokenUse``) is the caller's."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidBridgeToken("no bearer token")
        claims, use = svc.bridge_tokens.check(token.strip(), method=request.method, path=request.path, now=svc.clock())
    except BridgeKeysUnavailable as exc:
        logger.error("cannot check a bridge token on %s: %s", request.path, exc)
        raise ApiError(503, "the realm's keys cannot be read from Keycloak now; try again later") from None
    except InvalidBridgeToken as exc:
        raise _refused(exc) from None
    g.bridge_jti = claims.jti  # the answer is signed for this token (bridge/answer_signature.py)
    return claims, use


def _refused(exc: InvalidBridgeToken) -> ApiError:
    # Logged at a bounded rate and never audited: an anonymous caller must not be able to grow the trail.
    refusals: RefusalLog = current_app.extensions[REFUSALS]
    refusals.refused(exc.reason, request.path, request.remote_addr)
    return ApiError(401, "invalid bridge token")


def _optional_client_detail(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    return client_detail(value, limit)


def read_request() -> tuple[Services, BridgeClaims, dict[str, Any]]:
    """A call whose token is used up at once; its use cases write in transactions of their own."""
    svc = services()
    claims, use = _authenticate(svc)
    try:
        svc.bridge_tokens.record(use)
    except InvalidBridgeToken as exc:
        raise _refused(exc) from None
    return svc, claims, json_object()


@contextmanager
def one_transaction() -> Iterator[tuple[Services, BridgeClaims, dict[str, Any], CallWork]]:
    """A call whose use case makes all its writes in one transaction of ``work``, which records the token too: a
    replayed token rolls back everything the call would have changed and is refused as any replay. A call that
    commits no such transaction (a bad body, a failure) still uses its token up."""
    svc = services()
    claims, use = _authenticate(svc)
    work = CallWork(svc.audit, svc.replay_guard, use)
    try:
        try:
            yield svc, claims, json_object(), work
        finally:
            work.settle()
    except InvalidBridgeToken as exc:
        raise _refused(exc) from None


def caller_of(claims: BridgeClaims, body: dict[str, Any]) -> Caller:
    """Who is signing in comes from the token; where from, as Keycloak saw it, from the body."""
    return Caller(
        realm=claims.realm,
        user_id=claims.user_id,
        attempt=claims.attempt,
        ip=_optional_client_detail(body, "ip", MAX_IP_LENGTH),
        user_agent=_optional_client_detail(body, "user_agent", MAX_USER_AGENT_LENGTH),
    )


def required_string(body: dict[str, Any], name: str, max_length: int | None = None) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    if max_length is not None and len(value) > max_length:
        raise ApiError(400, f"{name} must be at most {max_length} characters")
    if not plain_text.is_storable(value):
        raise ApiError(400, f"{name} holds characters that are not text (a lone surrogate or NUL)")
    return value


def profile_of(body: dict[str, Any]) -> Profile:
    """The optional ``profile`` object: strings (or null) within their limits; anything else is a bad request.
    Unknown members are ignored, empty strings read as absent. Keycloak's user model may hold any text, so what
    is not one line of text is cleaned, not refused (it must not lock the user out)."""
    raw = body.get("profile")
    if raw is None:
        return NO_PROFILE
    if not isinstance(raw, dict):
        raise ApiError(400, "profile must be an object")
    values: dict[str, str | None] = {}
    for name, limit in PROFILE_FIELDS.items():
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise ApiError(400, f"profile.{name} must be a string or null")
        if value is not None and len(value) > limit:
            raise ApiError(400, f"profile.{name} must be at most {limit} characters")
        values[name] = plain_text.cleaned(value) if value else None
    return Profile(**values)
