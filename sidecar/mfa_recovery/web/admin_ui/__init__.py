"""The admin web UI: server-rendered pages under ``/ui/realms/<realm>/…`` for realm administrators,
signed in with Keycloak (authorization code + PKCE), working without JavaScript.

Every action goes through the admin API's domain services with the administrator's own access token, so
Keycloak's permissions decide exactly as for the API. The sign-in with Keycloak is :mod:`mfa_recovery.keycloak.oidc`.
Modules: ``sessions`` (server-side sessions), ``csrf``, ``i18n`` (the language of a request, Flask-Babel), ``names``
(of audit actions and outcomes), ``auth`` (the signed-in administrator of a request), ``pages`` (layout, errors,
headers), ``forms``, and the views per page group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from ...keycloak.oidc import OidcClient
from ...services import Services
from . import i18n, views_audit, views_auth, views_desk, views_employees, views_settings  # noqa: F401 - they add the routes
from .auth import EXTENSION, UiComponents
from .blueprint import bp
from .csrf import origin
from .pages import handle_error, is_ui_path, language, security_headers
from .repository import SqlUiSessionRepository
from .sessions import UiSessions

logger = logging.getLogger(__name__)

__all__ = ["register", "security_headers", "OidcClient"]


def oidc_client(services: Services) -> OidcClient | None:
    """Keycloak's endpoints for the UI's client, from the settings; None without a client secret."""
    settings = services.settings
    if not settings.admin_ui_client_secret:
        return None
    return OidcClient(
        settings.keycloak_url,
        settings.issuer_base_url,
        settings.public_url,
        settings.admin_ui_client_id,
        settings.admin_ui_client_secret,
    )


def register(app: Flask, services: Services, *, oidc: OidcClient | None = None) -> None:
    """Add the UI to ``app``. ``oidc``: Keycloak's endpoints (tests pass one over a fake token endpoint)."""
    settings = services.settings
    client = oidc or oidc_client(services)
    if client is None:
        logger.warning("MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET is not set: the admin UI is off")
    elif settings.admin_ui_client_id not in settings.admin_clients:
        logger.warning(
            "the admin UI's client %r is not in MFA_RECOVERY_ADMIN_CLIENTS: its sign-ins will be refused",
            settings.admin_ui_client_id,
        )
    keycloak = urlsplit(settings.issuer_base_url)
    app.extensions[EXTENSION] = UiComponents(
        sessions=UiSessions(SqlUiSessionRepository(services.engine), services.clock),
        oidc=client,
        public_url=settings.public_url,
        keycloak_origin=origin(f"{keycloak.scheme}://{keycloak.netloc}"),
    )
    i18n.init(app, language)
    app.register_blueprint(bp)
    _route_errors(app)


def _route_errors(app: Flask) -> None:
    """Errors of UI requests become pages, including those no UI view saw (an unknown path under ``/ui``); the
    application's JSON handlers keep every other path."""
    handlers = app.error_handler_spec[None][None]
    for kind in (HTTPException, Exception):
        app.register_error_handler(kind, _pages_for_ui(handlers.get(kind)))


def _pages_for_ui(previous: Callable[[Exception], Any] | None) -> Callable[[Exception], Any]:
    def handler(exc: Exception) -> Any:
        if is_ui_path(request.path) or previous is None:
            return handle_error(exc)
        return previous(exc)

    return handler
