"""Bridge API, "I have neither" (contract version 1): the supervisor, and a notice asking for help."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ...supervisor.service import QUEUED, RATE_LIMITED
from .calls import caller_of, profile_of, read_request

bp = Blueprint("bridge_supervisor", __name__)


@bp.post("/bridge/v1/supervisor")
def supervisor() -> Response:
    svc, claims, body = read_request()
    info = svc.supervisor.info(caller_of(claims, body))
    return jsonify(
        {
            "supervisor": {"name": info.name} if info.name is not None else None,
            "can_notify": info.can_notify,
            "retry_after_seconds": info.retry_after_seconds,
        }
    )


@bp.post("/bridge/v1/supervisor/notify")
def supervisor_notify() -> Response:
    svc, claims, body = read_request()
    notice = svc.supervisor.notify(caller_of(claims, body), profile_of(body))
    answer: dict[str, Any] = {"result": notice.result}
    if notice.result == QUEUED:
        answer["supervisor"] = {"name": notice.supervisor_name}
    elif notice.result == RATE_LIMITED:
        answer["retry_after_seconds"] = notice.retry_after_seconds
    return jsonify(answer)
