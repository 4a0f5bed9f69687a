"""Logging of the served sidecar: one format for every line, the request id in each, and secrets redacted.

``MFA_RECOVERY_LOG_FORMAT=json`` (the default in production): one JSON object a line, with ``time`` (UTC, ISO
8601), ``level``, ``logger``, ``message``, ``request_id`` and ``route`` (the URL rule) while a request is served;
access lines add ``method``, ``status`` and ``duration_ms``. ``text`` (the default in development): the same on
one readable line.

Nothing the sidecar logs should hold a code, a token, a password or an address: the code never passes one to a
logger (tests/unit/test_json_logs.py runs the flows and looks). :func:`redact` is defence in depth on top: bearer
tokens, JWTs, ``password=``-like pairs, e-mail addresses, backup codes and 8-digit codes are replaced in every
line both formatters write (message and traceback). It is done in the formatters, not in a filter: on Python 3.11
a filter can only change the record itself, which every other handler (and a test's capture) would then see
redacted too, hiding what the code really logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any

from .request_id import current

JSON = "json"
TEXT = "text"
ACCESS_LOGGER = "mfa_recovery.access"
_HANDLER_NAME = "mfa_recovery"

_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[jwt]"),
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|client_secret|token|access_token|refresh_token|id_token|api_key)"
            r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[email]"),
    # A backup code as shown (XXXX-XXXX-XX, Crockford base32) and a mailed code (8 digits, maybe as 4 + 4).
    (re.compile(r"(?<![\w-])[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}(?![\w-])"), "[code]"),
    (re.compile(r"(?<![\w.:/-])\d{4} ?\d{4}(?![\w.:/-])"), "[code]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``route`` of the request being served (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id if context else None
        if not hasattr(record, "route"):
            record.route = context.route if context else None
        return True


ACCESS_FIELDS = ("method", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "route": getattr(record, "route", None),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return redact(super().format(record))


def handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing ``log_format`` lines to ``stream`` (stderr), with the request's context, redacted."""
    made = logging.StreamHandler(stream or sys.stderr)
    made.set_name(_HANDLER_NAME)
    made.setFormatter(JsonFormatter() if log_format == JSON else TextFormatter())
    made.addFilter(ContextFilter())
    return made


def configure_logging(log_format: str, level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """Give the root logger this process's one handler (again: a second call replaces the first one's)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler(log_format, stream))
    root.setLevel(level)


def gunicorn_logconfig() -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` for JSON lines: its error log through :class:`JsonFormatter` on stderr, its
    access log silent (a logging configuration would turn it on, with raw paths), nothing of its own on the root
    logger (the application's handler goes there, web/wsgi.py)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {
                "level": "INFO",
                "handlers": ["error_console"],
                "propagate": False,
                "qualname": "gunicorn.error",
            },
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False, "qualname": "gunicorn.access"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stdout"},
            "error_console": {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stderr"},
        },
        "formatters": {"generic": {"()": JsonFormatter}},
    }
