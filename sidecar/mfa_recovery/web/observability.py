"""The web side of observability: the request id, the access line and request metrics of every answer, and
``/metrics`` (docs/architecture.md, "Observability").

``/metrics`` exists only with ``MFA_RECOVERY_METRICS=on``, and only on the main listener (its blueprint is not one
of the bridge's, web/listeners.py). With a ``MFA_RECOVERY_METRICS_TOKEN`` (required in production) it wants
``Authorization: Bearer <token>``: the main listener is the one browsers reach, and a loopback-only rule would let
through every request a reverse proxy on the same machine forwards.
"""

from __future__ import annotations

import hmac
import logging
import time

from flask import Blueprint, Flask, Response, current_app, g, request

from ..observability import metrics
from ..observability.request_id import HEADER, RequestContext, bind, request_id_from, unbind
from ..services import Services
from .errors import ApiError

access_log = logging.getLogger("mfa_recovery.access")
bp = Blueprint("metrics", __name__)
_STARTED = "mfa_recovery_started"
_CONTEXT = "mfa_recovery_context"
_REQUEST_ID = "mfa_recovery_request_id"


def register(app: Flask, services: Services) -> None:
    """Before any other hook: the request id and the start time; after all: the access line and the metrics."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_unbind)
    if services.settings.metrics_enabled:
        app.register_blueprint(bp)


def request_id() -> str:
    """The id of the request being served."""
    found: str = g.get(_REQUEST_ID) or request_id_from(None)
    return found


def _route() -> str | None:
    return request.url_rule.rule if request.url_rule is not None else None


def _start() -> None:
    g.setdefault(_STARTED, time.perf_counter())
    identifier = request_id_from(request.headers.get(HEADER))
    setattr(g, _REQUEST_ID, identifier)
    setattr(g, _CONTEXT, bind(RequestContext(identifier, _route())))


def _finish(response: Response) -> Response:
    if g.get(_REQUEST_ID) is None:  # a request that never reached before_request
        _start()
    seconds = time.perf_counter() - g.get(_STARTED, time.perf_counter())
    route = _route()
    metrics.observe_request(route, request.method, response.status_code, seconds)
    access_log.info(
        "%s %s %d %.1fms",
        request.method,
        route or "(unmatched)",
        response.status_code,
        seconds * 1000,
        extra={"method": request.method, "status": response.status_code, "duration_ms": round(seconds * 1000, 1)},
    )
    response.headers[HEADER] = g.get(_REQUEST_ID)
    return response


def _unbind(_: BaseException | None) -> None:
    token = g.pop(_CONTEXT, None)
    if token is not None:
        unbind(token)


@bp.get("/metrics")
def scrape() -> Response:
    token = current_app.extensions["mfa_recovery"].settings.metrics_token
    if token is not None:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise ApiError(401, "a bearer token is required")
    body, content_type = metrics.exposition([metrics.OutboxCollector(current_app.extensions["mfa_recovery"].outbox)])
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
