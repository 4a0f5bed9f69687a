"""Bridge API, the backup email (contract version 1): sign-in codes by mail, and setting up the address."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ...backup_email.challenges import SENT, Issued
from .backup_codes import MAX_CODE_LENGTH
from .calls import caller_of, one_transaction, profile_of, read_request, required_string

bp = Blueprint("bridge_email", __name__)


def _issued(issued: Issued) -> Response:
    answer: dict[str, Any] = {"result": issued.result}
    if issued.result == SENT:
        answer.update(
            address_hint=issued.address_hint,
            expires_in_seconds=issued.expires_in_seconds,
            resend_after_seconds=issued.resend_after_seconds,
        )
    elif issued.retry_after_seconds is not None:
        answer["retry_after_seconds"] = issued.retry_after_seconds
    return jsonify(answer)


def _without_nulls(answer: dict[str, Any]) -> Response:
    return jsonify({name: value for name, value in answer.items() if value is not None})


@bp.post("/bridge/v1/email-code/send")
def email_code_send() -> Response:
    svc, claims, body = read_request()
    return _issued(svc.email_sign_in.send(caller_of(claims, body), profile_of(body)))


@bp.post("/bridge/v1/email-code/verify")
def email_code_verify() -> Response:
    with one_transaction() as (svc, claims, body, work):
        code = required_string(body, "code", MAX_CODE_LENGTH)
        outcome = svc.email_sign_in.verify(caller_of(claims, body), code, profile_of(body), work)
    if outcome.result == "accepted":
        return jsonify(
            {
                "result": "accepted",
                "reenrol_otp": outcome.reenrol_otp,
                "backup_codes_remaining": outcome.backup_codes_remaining,
            }
        )
    return _without_nulls(
        {
            "result": outcome.result,
            "attempts_left": outcome.attempts_left,
            "retry_after_seconds": outcome.retry_after_seconds,
        }
    )


@bp.post("/bridge/v1/backup-email/start")
def backup_email_start() -> Response:
    svc, claims, body = read_request()
    # Not limited here: an address over 254 characters is answered "invalid_address", as any unusable one.
    address = required_string(body, "address")
    return _issued(svc.backup_email.start(caller_of(claims, body), address, profile_of(body)))


@bp.post("/bridge/v1/backup-email/verify")
def backup_email_verify() -> Response:
    svc, claims, body = read_request()
    code = required_string(body, "code", MAX_CODE_LENGTH)
    outcome = svc.backup_email.verify(caller_of(claims, body), code, profile_of(body))
    return _without_nulls(
        {"result": outcome.result, "attempts_left": outcome.attempts_left, "address_hint": outcome.address_hint}
    )
