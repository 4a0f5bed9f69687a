"""WSGI entry point for gunicorn: ``gunicorn mfa_recovery.web.wsgi:app``. Logging is set up here, for the served
process only (``MFA_RECOVERY_LOG_FORMAT``; observability/logs.py)."""

import os

from ..config import Settings
from ..observability.logs import configure_logging
from .app import create_app

settings = Settings.from_env(os.environ, serving=True)
configure_logging(settings.log_format)
app = create_app(settings)
