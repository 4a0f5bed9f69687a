"""Health, on both listeners: ``/healthz`` (the store answers; what the bridge's operators and the tests have
always asked), ``/health/live`` (the process answers) and ``/health/ready`` (store, Keycloak, SMTP;
observability/health.py)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from ...observability.health import ReadinessChecks
from ...store.engine import is_reachable
from ..context import services

bp = Blueprint("health", __name__)
READINESS = "mfa_recovery_readiness"  # app.extensions key: the ReadinessChecks


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    if not is_reachable(services().engine):
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"}), 200


@bp.get("/health/live")
def live() -> tuple[Response, int]:
    return jsonify({"status": "ok"}), 200


@bp.get("/health/ready")
def ready() -> tuple[Response, int]:
    checks: ReadinessChecks = current_app.extensions[READINESS]
    readiness = checks.run()
    response = jsonify(readiness.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if readiness.ok else 503
