"""Rendering the admin UI's pages: the shared layout's context, messages for the next page ("flash", kept in the
server-side session), paging, error pages and the security headers of every UI response."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ...admin.errors import AdminError, Forbidden, InvalidToken, KeycloakUnavailable, NotFound
from ...desk.decisions import NotAnOperator
from ..context import services
from . import auth, csrf, i18n, names

logger = logging.getLogger(__name__)

PREFIX = "/ui"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'{keycloak}; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def is_ui_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def language() -> str:
    if "ui_lang" not in g:
        session = auth.loaded_session()
        stored = session.data.get("lang") if session is not None else None
        g.ui_lang = i18n.choose(request.args.get("lang"), stored, request.accept_languages)
    chosen: str = g.ui_lang
    return chosen


def remember_language() -> str:
    """The language of this request; one chosen with ``?lang=`` stays for the session (if there is one)."""
    lang = language()
    session = auth.loaded_session()
    if session is not None and request.args.get("lang") == lang:
        session.data["lang"] = lang
    return lang


def url(endpoint: str, **values: Any) -> str:
    """A URL of the UI in the realm of this request."""
    return url_for(f"admin_ui.{endpoint}", realm=g.ui_realm, **values)


def flash(kind: str, message: str, **values: Any) -> None:
    """A message (``ok`` or ``error``) for the next page of this session: English, marked with ``N_``, translated
    when shown."""
    session = auth.loaded_session()
    if session is not None:
        session.data.setdefault("flash", []).append({"kind": kind, "message": message, "values": values})


def redirect_to(endpoint: str, **values: Any) -> Response:
    """303 See Other: after a POST, the browser GETs the page."""
    return redirect(url(endpoint, **values), code=303)


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%d %H:%M UTC")


def lang_url(code: str) -> str:
    """This page again in another language (a GET of the page shown)."""
    args = {**request.args.to_dict(), "lang": code}
    path = g.get("ui_page") or request.path
    return f"{path}?{urlencode(args)}"


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    prev_url: str | None
    next_url: str | None


def pager(page: int, total: int, size: int, endpoint: str, query: Mapping[str, Any]) -> Pager:
    """Previous/Next links of a list, keeping its filters."""
    pages = max(1, -(-total // size))
    kept = {name: value for name, value in query.items() if value not in (None, "")}

    def link(number: int) -> str:
        return url(endpoint, **kept, page=number)

    return Pager(
        page=page,
        pages=pages,
        total=total,
        prev_url=link(page - 1) if page > 1 else None,
        next_url=link(page + 1) if page < pages else None,
    )


def render(template: str, *, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page in the shared layout. ``context`` adds to: the language, ``label``, ``url``, the signed-in
    administrator, ``csrf(purpose)``, the messages kept for this page. ``title``: the page's, translated."""
    lang = remember_language()
    session = auth.loaded_session()
    data = session.data if session is not None else {}
    admin = data.get("admin") if data.get("tokens") else None
    flashes = [
        {"kind": item.get("kind"), "text": _(item["message"], **item.get("values", {}))}
        for item in data.pop("flash", [])
        if item.get("message")
    ]
    page = render_template(
        f"admin_ui/{template}",
        lang=lang,
        label=names.label,
        realm=g.get("ui_realm"),
        url=url,
        when=when,
        lang_url=lang_url,
        admin_name=admin.get("name") if isinstance(admin, dict) else None,
        desk_operator=isinstance(admin, dict) and admin.get("desk_operator") is True,
        csrf=partial(csrf.token, session) if session is not None else None,
        flashes=flashes,
        **context,
    )
    return page, status


def error_page(status: int, title: str, message: str, *, link: tuple[str, str] | None = None) -> tuple[str, int]:
    """``title``, ``message``: translated texts; ``link``: (its translated text, URL)."""
    return render("error.html", status=status, title=title, message=message, link=link)


def login_url() -> str | None:
    """The sign-in of this request's realm, back to this page afterwards (a GET's own URL)."""
    realm = g.get("ui_realm")
    if realm is None:
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if target is None:
        return url_for("admin_ui.login", realm=realm)
    return url_for("admin_ui.login", realm=realm, next=target)


def handle_error(exc: Exception) -> Response | tuple[str, int]:
    """Every error of a UI request as a page; never a stack trace."""
    if isinstance(exc, auth.NeedLogin | InvalidToken):
        target = login_url()
        if request.method == "GET" and target:
            return redirect(target, code=303)
        link = (_("Sign in again"), target) if target else None
        return error_page(
            401, _("Your session has ended"), _("Sign in again to go on. Nothing was changed."), link=link
        )
    if isinstance(exc, csrf.CsrfRefused):
        logger.warning("admin UI form refused on %s: %s", request.path, exc)
        return error_page(
            403,
            _("This form cannot be sent"),
            _(
                "The form is out of date or did not come from this site. Nothing was changed. Open the page again "
                "and retry."
            ),
        )
    if isinstance(exc, auth.UiNotConfigured):
        return error_page(
            503,
            _("The admin console is not set up"),
            _("The sidecar has no client secret for signing in with Keycloak (MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET)."),
        )
    if isinstance(exc, NotAnOperator):
        return error_page(
            403,
            _("The recovery desk is for operators"),
            _(
                "Operators hold the Keycloak role %(role)s in realm %(realm)s and sign in there. Ask the people who "
                "run your Keycloak for the role.",
                role=services().desk_decisions.operator_role,
                realm=services().desk_decisions.operator_realm,
            ),
        )
    if isinstance(exc, Forbidden):
        return error_page(
            403,
            _("You are not allowed to do this"),
            _("Keycloak does not let your account do this. Nothing was changed."),
        )
    if isinstance(exc, NotFound):
        return _not_found()
    if isinstance(exc, KeycloakUnavailable):
        logger.error("Keycloak unavailable for the admin UI: %s", exc)
        return error_page(
            502,
            _("Keycloak is unavailable"),
            _("Keycloak could not be reached or did not answer properly. Try again in a moment."),
        )
    if isinstance(exc, AdminError):
        return error_page(exc.status, _("This cannot be done"), _("The request was refused. Nothing was changed."))
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        if status == 404:
            return _not_found()
        if status == 413:
            return error_page(413, _("Too much text"), _("The form holds more text than is accepted."))
        return error_page(status, _("This request is not valid"), _("The address or the form is not valid."))
    logger.exception("unhandled error in the admin UI")
    return error_page(500, _("Something went wrong"), _("An unexpected error occurred. Try again later."))


def _not_found() -> tuple[str, int]:
    return error_page(404, _("Not found"), _("This page, or the employee it is about, does not exist."))


def security_headers(response: Response) -> Response:
    """On every UI response: no script at all, styles only from the sidecar, forms only to the sidecar and to
    Keycloak (the sign-out redirects there), no framing, no referrer, no caching."""
    if is_ui_path(request.path):
        origin = auth.components().keycloak_origin
        if "Content-Security-Policy" not in response.headers:  # a desk document brings its own, stricter one
            response.headers["Content-Security-Policy"] = CSP.format(keycloak=f" {origin}" if origin else "")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response
