"""Bridge API (contract version 1): only Keycloak's mfa-recovery authenticator calls it.

This module: the start of a recovery and backup codes. The backup email is in ``email``, the supervisor in
``supervisor``, the health check in ``health``; reading a call in ``calls``.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ...backup_codes import setup
from ..errors import ApiError
from .calls import caller_of, one_transaction, read_request, required_string

bp = Blueprint("bridge_backup_codes", __name__)

MAX_CODE_LENGTH = 64
MAX_SET_ID_LENGTH = 128


@bp.post("/bridge/v1/recovery/start")
def recovery_start() -> Response:
    with one_transaction() as (svc, claims, body, work):
        options = svc.recovery.start(caller_of(claims, body), work)
    return jsonify(
        {
            "methods": options.methods,
            "backup_codes_remaining": options.backup_codes_remaining,
            "email_hint": options.email_hint,
        }
    )


@bp.post("/bridge/v1/backup-codes/verify")
def backup_codes_verify() -> Response:
    with one_transaction() as (svc, claims, body, work):
        code = required_string(body, "code", MAX_CODE_LENGTH)
        outcome = svc.sign_in.verify(caller_of(claims, body), code, work)
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
    svc, claims, body = read_request()
    reason = body.get("reason", setup.USER_REQUEST)
    if reason not in setup.REASONS:
        raise ApiError(400, f"reason must be one of {', '.join(setup.REASONS)}")
    caller = caller_of(claims, body)
    started = svc.setup.start(caller, reason)
    email = svc.backup_email.status(caller.realm, caller.user_id)
    return jsonify(
        {
            "show": started.presentation.show,
            "skippable": started.presentation.skippable,
            "set_id": started.set_id,
            "codes": started.codes,
            "prompt": started.prompt,
            "backup_email": {"enabled": email.enabled, "address_hint": email.address_hint, "verified": email.verified},
        }
    )


@bp.post("/bridge/v1/backup-codes/confirm")
def backup_codes_confirm() -> Response:
    svc, claims, body = read_request()
    set_id = required_string(body, "set_id", MAX_SET_ID_LENGTH)
    confirmed = svc.setup.confirm(caller_of(claims, body), set_id)
    if not confirmed.activated:
        return jsonify({"result": "expired"})
    return jsonify({"result": "activated", "backup_codes_remaining": confirmed.remaining})
