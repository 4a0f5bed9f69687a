"""WSGI entry point for gunicorn: ``gunicorn mfa_recovery.web.wsgi:app``."""

from .app import create_app

app = create_app()
