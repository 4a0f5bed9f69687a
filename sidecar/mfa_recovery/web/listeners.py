"""The bridge API on a port of its own (docs/architecture.md, "Ports").

``serve --bridge-port`` binds one gunicorn to two TCP addresses. Which one a request came in on is read from the
accepted connection's own socket (``environ["gunicorn.socket"].getsockname()``), never from the request: a Host
header, or ``SERVER_PORT`` (which gunicorn fills from the Host header on a unix socket), could name the bridge port
on the public listener. Anything whose listener cannot be told (no gunicorn socket, a unix socket) is answered 404.

On the bridge listener only the bridge API and ``/healthz`` answer; on the other one everything but the bridge API.
Both rules look at the route Flask matched (its blueprint), so no spelling of a path reaches the other side.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import abort, request

LISTENER = "mfa_recovery.listener"  # an environ key no request header can set (headers become HTTP_*)
BRIDGE = "bridge"
MAIN = "main"
BRIDGE_BLUEPRINTS = frozenset({"bridge_backup_codes", "bridge_email", "bridge_supervisor"})
HEALTH_BLUEPRINT = "health"  # answers on both listeners
BRIDGE_PREFIX = "/bridge/"
_NOT_FOUND = json.dumps({"error": "not_found", "message": "not found"}).encode()


def local_port(environ: dict[str, Any]) -> int | None:
    """The local TCP port of the connection, from its socket; None when there is no TCP socket to ask."""
    getsockname = getattr(environ.get("gunicorn.socket"), "getsockname", None)
    if getsockname is None:
        return None
    try:
        address = getsockname()
    except OSError:
        return None
    if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
        return address[1]
    return None


class ListenerSplit:
    """WSGI middleware: marks each request with the listener it came in on, or answers 404 when it cannot tell."""

    def __init__(self, app: Any, bridge_port: int) -> None:
        self._app = app
        self._bridge_port = bridge_port

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        port = local_port(environ)
        if port is None:
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(_NOT_FOUND)))]
            start_response("404 NOT FOUND", headers)
            return [_NOT_FOUND]
        environ[LISTENER] = BRIDGE if port == self._bridge_port else MAIN
        answer: Iterable[bytes] = self._app(environ, start_response)
        return answer


def keep_to_listener() -> None:
    """Flask ``before_request``: 404 for what does not belong on this listener. No mark: one port serves all
    (development without a bridge port)."""
    listener = request.environ.get(LISTENER)
    if listener is None:
        return
    if request.blueprint == HEALTH_BLUEPRINT:
        return
    bridge_route = request.blueprint in BRIDGE_BLUEPRINTS
    if listener == BRIDGE:
        # Unmatched /bridge/ paths keep their own 404 or 405.
        unmatched_bridge_path = request.url_rule is None and request.path.startswith(BRIDGE_PREFIX)
        if not (bridge_route or unmatched_bridge_path):
            abort(404)
    elif request.path.startswith(BRIDGE_PREFIX) or bridge_route:
        abort(404)
