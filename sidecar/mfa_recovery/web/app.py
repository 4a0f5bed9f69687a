"""Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from ..backup_codes.hashing import CodeHasher
from ..config import Settings
from ..keycloak_admin import KeycloakDirectory
from ..notifications.directory import ContactDirectory
from ..notifications.sender import SenderThread
from ..services import build_services, utc_now
from . import bridge
from .errors import register_error_handlers

MAX_CONTENT_LENGTH = 16 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    hasher: CodeHasher | None = None,
    directory: ContactDirectory | None = None,
) -> Flask:
    """Build an application. Raises ``ConfigError`` when the settings are unsafe for production.

    Unless ``MFA_RECOVERY_NOTIFICATIONS=off``, a daemon thread delivers queued notification mails
    (``app.extensions["mfa_recovery_sender"]``, stoppable with ``.stop()``).
    """
    settings = settings or Settings.from_env(os.environ)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH, JSON_SORT_KEYS=False)
    services = build_services(settings, clock=clock, hasher=hasher)
    app.extensions["mfa_recovery"] = services
    register_error_handlers(app)
    app.register_blueprint(bridge.bp)
    if settings.notifications_enabled:
        directory = directory or KeycloakDirectory(
            settings.keycloak_url, settings.keycloak_client_id, settings.keycloak_client_secret
        )
        app.extensions["mfa_recovery_sender"] = SenderThread(services.notification_sender(directory)).start()
    return app
