"""Who is signed in to the admin UI: the session named by the cookie, Keycloak's tokens (refreshed shortly before
the access token runs out) and the administrator, as the admin API's token verifier reads the access token.

The session of a request is kept on ``flask.g`` and written back (with its cookie) after the response is made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from flask import current_app, g, request
from werkzeug.wrappers import Response

from ...admin.errors import InvalidToken
from ...admin.identity import MASTER_REALM, AdminCall, Administrator
from ...config import is_loopback_http
from ...keycloak.oidc import OidcClient, TokenRefused, Tokens
from ..context import request_client, services
from . import csrf
from .sessions import COOKIE_NAME, COOKIE_PATH, UiSession, UiSessions

logger = logging.getLogger(__name__)

EXTENSION = "mfa_recovery_ui"
REFRESH_MARGIN = timedelta(seconds=30)  # the access token is renewed when it has less left than this
REALM_MANAGERS = frozenset({"manage-realm", "realm-admin"})


class NeedLogin(Exception):
    """No signed-in session for the realm (none, expired, or Keycloak no longer renews its tokens)."""


class UiNotConfigured(Exception):
    """No client secret for the UI's Keycloak client (production without MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET)."""


@dataclass(frozen=True)
class UiComponents:
    sessions: UiSessions
    oidc: OidcClient | None
    public_url: str
    keycloak_origin: str | None

    @property
    def secure_cookie(self) -> bool:
        """``Secure`` unless the sidecar is reached over plain http on loopback (development and tests)."""
        return not is_loopback_http(self.public_url)


def components() -> UiComponents:
    wired: UiComponents = current_app.extensions[EXTENSION]
    return wired


def oidc() -> OidcClient:
    client = components().oidc
    if client is None:
        raise UiNotConfigured()
    return client


# -- the session of this request ---------------------------------------------------------------------------------


def current_session(realm: str) -> UiSession | None:
    """The live session of the cookie for ``realm`` (loaded once a request)."""
    if "ui_session_realm" not in g or g.ui_session_realm != realm:
        g.ui_session = components().sessions.load(request.cookies.get(COOKIE_NAME), realm)
        g.ui_session_realm = realm
    loaded: UiSession | None = g.ui_session
    return loaded


def loaded_session() -> UiSession | None:
    """The session this request loaded or started, if any (for rendering)."""
    loaded: UiSession | None = g.get("ui_session")
    return loaded


def adopt(session: UiSession) -> None:
    """Make ``session`` this request's (a new one: its cookie is sent). The one it replaces is deleted."""
    old = g.get("ui_session")
    if old is not None and old.key != session.key:
        g.ui_drop = old.key
    g.ui_session, g.ui_session_realm, g.ui_new_cookie = session, session.realm, True


def end_session() -> None:
    """Delete this request's session and its cookie."""
    session = g.get("ui_session")
    if session is not None:
        g.ui_drop = session.key
    g.ui_session, g.ui_clear_cookie = None, True


def write_session(response: Response) -> Response:
    """After the view: store the session (moving its idle expiry on) and send or clear the cookie."""
    parts = components()
    drop = g.get("ui_drop")
    if drop:
        parts.sessions.delete(drop)
    session = g.get("ui_session")
    if session is not None:
        parts.sessions.save(session)
        if g.get("ui_new_cookie"):
            response.set_cookie(
                COOKIE_NAME,
                session.key,
                path=COOKIE_PATH,
                secure=parts.secure_cookie,
                httponly=True,
                samesite="Lax",
            )
    elif g.get("ui_clear_cookie"):
        response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, secure=parts.secure_cookie, httponly=True, samesite="Lax")
    return response


# -- the administrator -------------------------------------------------------------------------------------------


def admin_call(realm: str) -> AdminCall:
    """The signed-in administrator of ``realm`` with a valid access token. Raises :class:`NeedLogin`; Keycloak
    being unreachable while a refresh is due raises ``KeycloakUnavailable``."""
    session = current_session(realm)
    tokens = Tokens.from_data(session.data.get("tokens")) if session is not None else None
    if session is None or tokens is None:
        raise NeedLogin()
    if tokens.access_expires_at - services().clock() < REFRESH_MARGIN:
        tokens = _refresh(session, tokens)
    try:
        administrator = services().admin_tokens.verify(tokens.access_token, realm)
    except InvalidToken as exc:
        logger.info("admin UI access token refused (%s); refreshing", exc)
        administrator = _verified(_refresh(session, tokens), realm)
    ip, user_agent = request_client()
    return AdminCall(administrator, ip=ip, user_agent=user_agent)


def _verified(tokens: Tokens, realm: str) -> Administrator:
    try:
        return services().admin_tokens.verify(tokens.access_token, realm)
    except InvalidToken as exc:
        logger.warning("admin UI access token refused after a refresh: %s", exc)
        raise NeedLogin() from None


def _refresh(session: UiSession, tokens: Tokens) -> Tokens:
    now = services().clock()
    if not tokens.refresh_token or (tokens.refresh_expires_at is not None and tokens.refresh_expires_at <= now):
        session.data.pop("tokens", None)
        raise NeedLogin()
    try:
        fresh = oidc().refresh(session.realm, tokens, now)
    except TokenRefused as exc:
        logger.info("Keycloak refused to refresh an admin UI session: %s", exc)
        session.data.pop("tokens", None)
        raise NeedLogin() from None
    session.data["tokens"] = fresh.as_data()
    return fresh


def may_manage_realm(call: AdminCall, realm: str) -> bool:
    """Whether the administrator's verified access token names them a manager of the realm's settings
    (``manage-realm`` or ``realm-admin`` of ``realm-management``; ``<realm>-realm`` for a ``master``
    administrator). Only a hint for how the page looks: on save Keycloak itself decides
    (:meth:`Policy.confirm_realm_manager`)."""
    claims: dict[str, Any] = jwt.decode(call.administrator.token, options={"verify_signature": False})
    client = f"{realm}-realm" if call.administrator.realm == MASTER_REALM else "realm-management"
    access = claims.get("resource_access")
    roles = access.get(client, {}).get("roles") if isinstance(access, dict) else None
    return isinstance(roles, list) and bool(REALM_MANAGERS & {role for role in roles if isinstance(role, str)})


def check_form(realm: str, purpose: str) -> None:
    """Refuse (``CsrfRefused``) a POST whose ``csrf_token`` does not fit ``purpose`` in this session, or that came
    from another origin."""
    csrf.check(
        current_session(realm),
        purpose,
        request.form.get(csrf.FIELD),
        request.headers.get("Origin"),
        components().public_url,
    )
