"""Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from ..backup_codes.hashing import CodeHasher
from ..config import Settings
from ..services import build_services, utc_now
from . import bridge
from .errors import register_error_handlers

MAX_CONTENT_LENGTH = 16 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    hasher: CodeHasher | None = None,
) -> Flask:
    """Build an application. Raises ``ConfigError`` when the settings are unsafe for production."""
    settings = settings or Settings.from_env(os.environ)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH, JSON_SORT_KEYS=False)
    app.extensions["mfa_recovery"] = build_services(settings, clock=clock, hasher=hasher)
    register_error_handlers(app)
    app.register_blueprint(bridge.bp)
    return app
