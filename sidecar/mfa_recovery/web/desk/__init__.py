"""The recovery desk's public request page: an administrator who lost their own MFA files a recovery request with
documents, under ``/desk/…`` on the main port (never the bridge port: ``web/listeners.py``).

Server-rendered pages in English and Dutch (the admin UI's catalogs and language rule, without a session). The one
script of the sidecar (``static/desk-mask.js``) masks and stamps the copy of the identity document on the
requester's own device before it is sent; without it the form cannot send that copy. Modules: ``form_token``
(CSRF without a session), ``pages`` (language, layout, errors, headers), ``views`` (the routes). What is filed and
how is the domain's (``mfa_recovery.desk.intake``): the page only reads the form and shows the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from ...services import Services
from ..admin_ui import i18n
from ..listeners import BRIDGE, LISTENER
from .form_token import FormTokens, form_key
from .pages import EXTENSION, handle_error, is_desk_path, language, security_headers
from .views import bp

__all__ = ["register", "security_headers"]


def register(app: Flask, services: Services) -> None:
    """Add the desk to ``app`` (after the admin UI, whose Flask-Babel it shares)."""
    settings = services.settings
    app.extensions[EXTENSION] = FormTokens(form_key(settings.code_pepper), settings.public_url)
    i18n.choose_for(app, is_desk_path, language)
    app.register_blueprint(bp)
    handlers = app.error_handler_spec[None][None]
    for kind in (HTTPException, Exception):
        app.register_error_handler(kind, _pages_for_desk(handlers.get(kind)))


def _pages_for_desk(previous: Callable[[Exception], Any] | None) -> Callable[[Exception], Any]:
    """Errors of desk requests on the main port become pages; every other request keeps the handler it had (the
    admin UI's pages, the JSON errors; the bridge listener's 404 stays JSON)."""

    def handler(exc: Exception) -> Any:
        on_bridge = request.environ.get(LISTENER) == BRIDGE
        if (is_desk_path(request.path) and not on_bridge) or previous is None:
            return handle_error(exc)
        return previous(exc)

    return handler
