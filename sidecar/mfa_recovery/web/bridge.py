"""Bridge API (contract version 1): only Keycloak's mfa-recovery authenticator calls it."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text

from ..backup_codes import setup
from ..bridge_auth.tokens import BridgeClaims, InvalidBridgeToken, verify_bridge_token
from ..caller import Caller
from ..services import Services
from .errors import ApiError

logger = logging.getLogger(__name__)

bp = Blueprint("bridge", __name__)

MAX_CODE_LENGTH = 64
MAX_SET_ID_LENGTH = 128
MAX_IP_LENGTH = 255
MAX_USER_AGENT_LENGTH = 512
BRIDGE_ACTOR = "bridge"


def services() -> Services:
    return current_app.extensions["mfa_recovery"]


def _authenticate(svc: Services) -> BridgeClaims:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidBridgeToken("no bearer token")
        return verify_bridge_token(
            token.strip(),
            secret=svc.settings.bridge_secret,
            method=request.method,
            path=request.path,
            replay_guard=svc.replay_guard,
            now=svc.clock(),
        )
    except InvalidBridgeToken as exc:
        logger.warning("refused bridge token on %s: %s", request.path, exc.reason)
        svc.audit.record(
            realm=None,
            actor=BRIDGE_ACTOR,
            subject=None,
            action="bridge.token",
            outcome="refused",
            detail={"reason": exc.reason, "path": request.path},
            ip=_truncate(request.remote_addr, MAX_IP_LENGTH),
            user_agent=_truncate(request.user_agent.string, MAX_USER_AGENT_LENGTH),
        )
        raise ApiError(401, "invalid bridge token") from None


def _json_body() -> dict[str, Any]:
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


def _truncate(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def _optional_string(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    return _truncate(value, limit)


def _read_request() -> tuple[Services, BridgeClaims, dict[str, Any]]:
    svc = services()
    claims = _authenticate(svc)
    return svc, claims, _json_body()


def _caller(claims: BridgeClaims, body: dict[str, Any]) -> Caller:
    """Who is signing in comes from the token; where from, as Keycloak saw it, from the body."""
    return Caller(
        realm=claims.realm,
        user_id=claims.user_id,
        attempt=claims.attempt,
        ip=_optional_string(body, "ip", MAX_IP_LENGTH),
        user_agent=_optional_string(body, "user_agent", MAX_USER_AGENT_LENGTH),
    )


def _required_string(body: dict[str, Any], name: str, max_length: int) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    if len(value) > max_length:
        raise ApiError(400, f"{name} must be at most {max_length} characters")
    return value


@bp.post("/bridge/v1/recovery/start")
def recovery_start() -> Response:
    svc, claims, body = _read_request()
    options = svc.sign_in.start(_caller(claims, body))
    return jsonify({"methods": options.methods, "backup_codes_remaining": options.backup_codes_remaining})


@bp.post("/bridge/v1/backup-codes/verify")
def backup_codes_verify() -> Response:
    svc, claims, body = _read_request()
    code = _required_string(body, "code", MAX_CODE_LENGTH)
    outcome = svc.sign_in.verify(_caller(claims, body), code)
    if outcome.result == "accepted":
        return jsonify(
            {
                "result": "accepted",
                "backup_codes_remaining": outcome.remaining,
                "regenerate": outcome.regenerate,
                "reenrol_otp": outcome.reenrol_otp,
            }
        )
    if outcome.result == "locked":
        return jsonify({"result": "locked", "retry_after_seconds": outcome.retry_after_seconds})
    return jsonify({"result": "rejected"})


@bp.post("/bridge/v1/backup-codes/setup")
def backup_codes_setup() -> Response:
    svc, claims, body = _read_request()
    reason = body.get("reason", setup.USER_REQUEST)
    if reason not in setup.REASONS:
        raise ApiError(400, f"reason must be one of {', '.join(setup.REASONS)}")
    started = svc.setup.start(_caller(claims, body), reason)
    return jsonify(
        {
            "show": started.presentation.show,
            "skippable": started.presentation.skippable,
            "set_id": started.set_id,
            "codes": started.codes,
            "prompt": started.prompt,
        }
    )


@bp.post("/bridge/v1/backup-codes/confirm")
def backup_codes_confirm() -> Response:
    svc, claims, body = _read_request()
    set_id = _required_string(body, "set_id", MAX_SET_ID_LENGTH)
    confirmed = svc.setup.confirm(_caller(claims, body), set_id)
    if not confirmed.activated:
        return jsonify({"result": "expired"})
    return jsonify({"result": "activated", "backup_codes_remaining": confirmed.remaining})


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        with services().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any store failure means "not healthy"
        logger.exception("health check failed")
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"}), 200
