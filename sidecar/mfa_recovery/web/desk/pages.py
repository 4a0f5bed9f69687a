"""Rendering the desk's pages: their language, the shared layout's context, error pages, and the security headers
of every desk response."""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlencode

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..admin_ui import i18n
from .form_token import FormRefused, FormTokens

logger = logging.getLogger(__name__)

PREFIX = "/desk"
EXTENSION = "mfa_recovery_desk"
# The request with its three documents; the rest of the sidecar takes at most 16 KiB (web/app.py).
MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_FORM_PARTS = 32
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def is_desk_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def tokens() -> FormTokens:
    wired: FormTokens = current_app.extensions[EXTENSION]
    return wired


def language() -> str:
    """``?lang=``, else the browser's ``Accept-Language``, else English (the admin UI's rule, without a session)."""
    if "desk_lang" not in g:
        g.desk_lang = i18n.choose(request.args.get("lang"), None, request.accept_languages)
    chosen: str = g.desk_lang
    return chosen


def lang_url(code: str) -> str:
    """This page again in another language (a GET of the form, keeping its realm)."""
    args = {name: value for name, value in request.args.items() if name == "realm"}
    return f"{PREFIX}/request?{urlencode({**args, 'lang': code})}"


def max_megabytes() -> int:
    return MAX_REQUEST_BYTES // (1024 * 1024)


def render(template: str, *, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page in the desk's layout; ``title``: the page's, translated."""
    page = render_template(f"desk/{template}", lang=language(), lang_url=lang_url, **context)
    return page, status


def error_page(status: int, title: str, message: str, *, again: bool = False) -> tuple[str, int]:
    """``title``, ``message``: translated texts; ``again``: a link back to the form."""
    return render("error.html", status=status, title=title, message=message, again=again)


def desk_closed() -> tuple[str, int]:
    return error_page(
        503,
        _("The recovery desk is closed"),
        _(
            "Recovery requests cannot be filed here at the moment. Contact the people who run your organisation's "
            "sign-in."
        ),
    )


def too_many(retry_after_seconds: int) -> Response:
    minutes = max(1, math.ceil(retry_after_seconds / 60))
    page, status = error_page(
        429,
        _("Too many requests"),
        _(
            "Too many recovery requests came from here or for this account. Try again in %(minutes)s minutes.",
            minutes=minutes,
        ),
    )
    response = current_app.make_response((page, status))
    response.headers["Retry-After"] = str(max(1, retry_after_seconds))
    return response


def handle_error(exc: Exception) -> Any:
    """Every error of a desk request as a page; never a stack trace."""
    if isinstance(exc, FormRefused):
        logger.warning("desk form refused on %s: %s", request.path, exc)
        return error_page(
            400,
            _("This form cannot be sent"),
            _(
                "The form is out of date or did not come from this site. Nothing was sent. Open the form again and "
                "retry."
            ),
            again=True,
        )
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        if status == 404:
            return error_page(404, _("Not found"), _("This page does not exist."), again=True)
        if status == 413:
            return error_page(
                413,
                _("The files are too large"),
                _(
                    "Together the files may be at most %(megabytes)s MB. Nothing was sent. Choose smaller files and "
                    "send the request again.",
                    megabytes=max_megabytes(),
                ),
                again=True,
            )
        response = error_page(
            status, _("This request is not valid"), _("The address or the form is not valid."), again=True
        )
        if status == 405:
            allowed = exc.get_response().headers.get("Allow")
            if allowed:
                made = current_app.make_response(response)
                made.headers["Allow"] = allowed
                return made
        return response
    logger.exception("unhandled error on the recovery desk")
    return error_page(500, _("Something went wrong"), _("An unexpected error occurred. Try again later."))


def security_headers(response: Response) -> Response:
    """On every desk response: the desk's own script and styles only, images also from ``blob:`` (the preview of the
    copy being masked), forms only to the sidecar, no framing, no referrer, no caching."""
    if is_desk_path(request.path):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response
