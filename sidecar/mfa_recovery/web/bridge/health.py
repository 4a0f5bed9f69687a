"""The health check: whether this sidecar can answer the bridge now (its store answers)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ...store.engine import is_reachable
from ..context import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    if not is_reachable(services().engine):
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"}), 200
