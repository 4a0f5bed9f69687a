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
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ...admin.errors import AdminError, Forbidden, InvalidToken, KeycloakUnavailable, NotFound
from . import auth, csrf, i18n

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
    return g.ui_lang


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


def flash(kind: str, key: str, **values: Any) -> None:
    """A message (``ok`` or ``error``) for the next page of this session; translated when shown."""
    session = auth.loaded_session()
    if session is not None:
        session.data.setdefault("flash", []).append({"kind": kind, "key": key, "values": values})


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
    """A page in the shared layout. ``context`` adds to: the language, ``t``, ``url``, the signed-in
    administrator, ``csrf(purpose)``, the messages kept for this page."""
    lang = remember_language()
    session = auth.loaded_session()
    data = session.data if session is not None else {}
    admin = data.get("admin") if data.get("tokens") else None
    flashes = [
        {"kind": item.get("kind"), "text": i18n.translate(lang, item.get("key", ""), **item.get("values", {}))}
        for item in data.pop("flash", [])
    ]
    page = render_template(
        f"admin_ui/{template}",
        lang=lang,
        t=partial(i18n.translate, lang),
        label=partial(i18n.label, lang),
        realm=g.get("ui_realm"),
        url=url,
        when=when,
        lang_url=lang_url,
        admin_name=admin.get("name") if isinstance(admin, dict) else None,
        csrf=partial(csrf.token, session) if session is not None else None,
        flashes=flashes,
        **context,
    )
    return page, status


def error_page(status: int, title: str, message: str, *, link: tuple[str, str] | None = None) -> tuple[str, int]:
    """``title``, ``message``: catalogue keys; ``link``: (catalogue key, URL)."""
    return render("error.html", status=status, title_key=title, message_key=message, link=link)


def login_url() -> str | None:
    """The sign-in of this request's realm, back to this page afterwards (a GET's own URL)."""
    realm = g.get("ui_realm")
    if realm is None:
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return url_for("admin_ui.login", realm=realm, **({"next": target} if target else {}))


def handle_error(exc: Exception) -> Response | tuple[str, int]:
    """Every error of a UI request as a page; never a stack trace."""
    if isinstance(exc, auth.NeedLogin | InvalidToken):
        target = login_url()
        if request.method == "GET" and target:
            return redirect(target, code=303)
        link = ("error.sign_in_again", target) if target else None
        return error_page(401, "error.session_ended.title", "error.session_ended.text", link=link)
    if isinstance(exc, csrf.CsrfRefused):
        logger.warning("admin UI form refused on %s: %s", request.path, exc)
        return error_page(403, "error.csrf.title", "error.csrf.text")
    if isinstance(exc, auth.UiNotConfigured):
        return error_page(503, "error.not_configured.title", "error.not_configured.text")
    if isinstance(exc, Forbidden):
        return error_page(403, "error.forbidden.title", "error.forbidden.text")
    if isinstance(exc, NotFound):
        return error_page(404, "error.not_found.title", "error.not_found.text")
    if isinstance(exc, KeycloakUnavailable):
        logger.error("Keycloak unavailable for the admin UI: %s", exc)
        return error_page(502, "error.keycloak.title", "error.keycloak.text")
    if isinstance(exc, AdminError):
        return error_page(exc.status, "error.refused.title", "error.refused.text")
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        if status == 404:
            return error_page(404, "error.not_found.title", "error.not_found.text")
        if status == 413:
            return error_page(413, "error.too_large.title", "error.too_large.text")
        return error_page(status, "error.bad_request.title", "error.bad_request.text")
    logger.exception("unhandled error in the admin UI")
    return error_page(500, "error.internal.title", "error.internal.text")


def security_headers(response: Response) -> Response:
    """On every UI response: no script at all, styles only from the sidecar, forms only to the sidecar and to
    Keycloak (the sign-out redirects there), no framing, no referrer, no caching."""
    if is_ui_path(request.path):
        origin = auth.components().keycloak_origin
        response.headers["Content-Security-Policy"] = CSP.format(keycloak=f" {origin}" if origin else "")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response
