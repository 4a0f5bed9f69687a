"""Signing in and out: ``login`` (to Keycloak), ``callback`` (back from it), ``logout`` (POST, then Keycloak's
end-session endpoint) and ``signed-out``."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Any

from flask import redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...admin.errors import InvalidToken
from ...keycloak.oidc import TokenRefused, Tokens
from ..context import services
from . import auth
from .blueprint import bp
from .pages import error_page, remember_language, render, url
from .sessions import UNSIGNED_TIMEOUT

logger = logging.getLogger(__name__)

LOGIN_WINDOW = UNSIGNED_TIMEOUT  # how long a sign-in may take at Keycloak
MAX_PENDING_LOGINS = 3  # sign-ins under way at once in one session (several tabs)
MAX_NEXT_LENGTH = 1000
NOT_AFTER_LOGIN = ("login", "callback", "logout", "signed-out")


@bp.get("/realms/<realm>/")
def realm_home(realm: str) -> Response:
    return redirect(url("employees"), code=303)


def _next_page(realm: str, value: str | None) -> str:
    """Where to go after signing in: a page of this realm's UI, never another site or a sign-in step."""
    base = f"/ui/realms/{realm}/"
    if (
        value
        and len(value) <= MAX_NEXT_LENGTH
        and value.startswith(base)
        and "//" not in value
        and "\\" not in value
        and value.isprintable()
        and not value[len(base) :].startswith(NOT_AFTER_LOGIN)
    ):
        return value
    return url("employees")


@bp.get("/realms/<realm>/login")
def login(realm: str) -> Response:
    """Start a sign-in: state, nonce and PKCE verifier go into the server-side session, the browser to Keycloak."""
    client = auth.oidc()
    session = auth.current_session(realm)
    if session is None:
        session = auth.components().sessions.new(realm)
        auth.adopt(session)
    start = client.start(realm, remember_language())
    pending: dict[str, Any] = dict(session.data.get("logins") or {})
    pending[start.state] = {
        "nonce": start.nonce,
        "verifier": start.verifier,
        "next": _next_page(realm, request.args.get("next")),
        "started_at": services().clock().isoformat(),
    }
    session.data["logins"] = dict(list(pending.items())[-MAX_PENDING_LOGINS:])
    return redirect(start.url, code=303)


def _pending_login(realm: str, state: str) -> dict[str, Any] | None:
    """The sign-in this browser started with ``state`` (removed from the session), if still fresh."""
    session = auth.current_session(realm)
    if session is None or not state:
        return None
    logins: dict[str, Any] = session.data.get("logins") or {}
    found = None
    for candidate in list(logins):
        if hmac.compare_digest(candidate.encode(), state.encode("utf-8", "replace")):
            found = logins.pop(candidate)
    if not isinstance(found, dict):
        return None
    started = datetime.fromisoformat(found["started_at"])
    return found if services().clock() - started <= LOGIN_WINDOW else None


def _failed(realm: str, status: int, message: str) -> tuple[str, int]:
    """The page of a sign-in that did not work; ``message``: why, translated."""
    link = (_("Sign in again"), url_for("admin_ui.login", realm=realm))
    return error_page(status, _("Signing in did not work"), message, link=link)


@bp.get("/realms/<realm>/callback")
def callback(realm: str) -> Response | tuple[str, int]:
    """Back from Keycloak: check the state, trade the code (with the PKCE verifier and the client secret), check
    the ID token and the access token, then start a new session (a new cookie) for the administrator."""
    client = auth.oidc()
    pending = _pending_login(realm, request.args.get("state", ""))
    if pending is None:
        logger.warning("admin UI sign-in refused: unknown or expired state")
        return _failed(realm, 400, _("This sign-in was not started here, or it took too long. Sign in again."))
    if request.args.get("error"):
        logger.info("Keycloak ended an admin UI sign-in with %r", request.args.get("error", "")[:100])
        return _failed(realm, 400, _("Keycloak did not complete the sign-in. Sign in again."))
    now = services().clock()
    try:
        tokens = client.exchange(realm, request.args.get("code", ""), pending["verifier"], now)
        claims = client.id_claims(realm, tokens.id_token, pending["nonce"])
        administrator = services().admin_tokens.verify(tokens.access_token, realm)
        if administrator.subject != claims.get("sub"):
            raise InvalidToken("the ID token and the access token name different users")
    except TokenRefused as exc:
        logger.warning("Keycloak refused the admin UI's code: %s", exc)
        return _failed(realm, 400, _("Keycloak did not accept the sign-in. Sign in again."))
    except InvalidToken as exc:
        logger.warning("admin UI sign-in refused: %s", exc)
        return _failed(realm, 403, _("Your Keycloak account cannot use this console (its sign-in was not accepted)."))
    _start_session(realm, tokens, claims, administrator.username, services().desk_decisions.is_operator(administrator))
    return redirect(pending["next"], code=303)


def _start_session(realm: str, tokens: Tokens, claims: dict[str, Any], username: str, desk_operator: bool) -> None:
    """A new session key at sign-in (no session fixation), keeping only the language of the old one.
    ``desk_operator``: whether the menu shows the recovery desk (its pages check for themselves)."""
    old = auth.current_session(realm)
    session = auth.components().sessions.new(realm, {"lang": old.data.get("lang")} if old else None)
    name = claims.get("name") or claims.get("preferred_username") or username
    admin = {"sub": claims["sub"], "username": username, "name": name, "desk_operator": desk_operator}
    session.data.update(tokens=tokens.as_data(), admin=admin)
    auth.adopt(session)


@bp.post("/realms/<realm>/logout")
def logout(realm: str) -> Response:
    """End the session here and at Keycloak; Keycloak then shows the signed-out page."""
    session = auth.current_session(realm)
    if session is None:
        return redirect(url("signed_out"), code=303)
    auth.check_form(realm, "logout")
    tokens = Tokens.from_data(session.data.get("tokens"))
    auth.end_session()
    client = auth.components().oidc
    if client is None:
        return redirect(url("signed_out"), code=303)
    return redirect(client.end_session_url(realm, tokens.id_token if tokens else None), code=303)


@bp.get("/realms/<realm>/signed-out")
def signed_out(realm: str) -> tuple[str, int]:
    return render("signed_out.html", title=_("You are signed out"))
