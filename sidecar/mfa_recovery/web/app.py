"""Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from werkzeug.wrappers import Response

from ..backup_codes.hashing import CodeHasher
from ..config import Settings
from ..directory import Directory
from ..keycloak.access import KeycloakAccess
from ..keycloak.admin_tokens import AdminTokenVerifier
from ..keycloak.oidc import OidcClient
from ..keycloak.realm_keys import RealmKeyCache
from ..notifications.mailer import Transport
from ..notifications.sender import SenderThread
from ..observability.health import ReadinessChecks, readiness_checks
from ..services import build_services, utc_now
from . import admin_api, admin_ui, bridge, desk, observability
from .bridge.answer_signature import sign_bridge_answer
from .bridge.health import READINESS
from .bridge.refusals import EXTENSION as REFUSALS
from .bridge.refusals import RefusalLog
from .errors import register_error_handlers
from .listeners import ListenerSplit, keep_to_listener

MAX_CONTENT_LENGTH = 16 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    hasher: CodeHasher | None = None,
    directory: Directory | None = None,
    transport: Transport | None = None,
    admin_keycloak: KeycloakAccess | None = None,
    admin_tokens: AdminTokenVerifier | None = None,
    admin_ui_oidc: OidcClient | None = None,
    realm_keys: RealmKeyCache | None = None,
    readiness: ReadinessChecks | None = None,
) -> Flask:
    """Build an application. Raises ``ConfigError`` when the settings are unsafe for production.

        ``directory``: Keycloak's users (by default a ``KeycloakDirectory`` from the settings): mails with a code
        and the supervisor need it whether or not notifications are on. ``transport`` sends a built message over
        SMTP (tests pass a fake). ``admin_keycloak`` and ``admin_tokens``: Keycloak as the admin API calls it and the
        check of administrators' tokens (see ``build_services``). ``admin_ui_oidc``: Keycloak's OpenID Connect endpoints
        for the admin UI (by default from the settings; tests pass one over a fake token endpoint). ``realm_keys``: the
    realms' signing keys that bridge tokens are checked with (tests pass a cache over local keys). ``readiness``:
        the checks of ``/health/ready`` (by default the store, Keycloak's master JWKS and the SMTP host). Unless
        ``MFA_RECOVERY_NOTIFICATIONS=off``, a daemon thread delivers queued notification mails
        (``app.extensions["mfa_recovery_sender"]``, stoppable with ``.stop()``).
    """
    settings = settings or Settings.from_env(os.environ, serving=True)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH)
    services = build_services(
        settings,
        clock=clock,
        hasher=hasher,
        directory=directory,
        transport=transport,
        admin_keycloak=admin_keycloak,
        admin_tokens=admin_tokens,
        realm_keys=realm_keys,
    )
    app.extensions["mfa_recovery"] = services
    app.extensions[REFUSALS] = RefusalLog()
    app.extensions[READINESS] = readiness or readiness_checks(
        services.engine, settings.keycloak_url, settings.smtp_host, settings.smtp_port, settings.smtp_tls
    )
    register_error_handlers(app)
    observability.register(app, services)  # first: the request id is in every line logged after it
    app.before_request(keep_to_listener)
    if settings.bridge_port is not None:
        app.wsgi_app = ListenerSplit(app.wsgi_app, settings.bridge_port)  # type: ignore[method-assign]
    for blueprint in (*bridge.BLUEPRINTS, admin_api.bp):
        app.register_blueprint(blueprint)
    admin_ui.register(app, services, oidc=admin_ui_oidc)
    desk.register(app, services)
    # Flask runs after_request hooks in reverse order of registration: the signature, registered first, sees the
    # final body.
    app.after_request(sign_bridge_answer)
    app.after_request(_security_headers)
    if settings.notifications_enabled:
        app.extensions["mfa_recovery_sender"] = SenderThread(services.notification_sender()).start()
    return app


def _security_headers(response: Response) -> Response:
    """Every answer: no MIME sniffing. The admin UI's and the desk's pages also get their CSP, no referrer and no
    caching."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return desk.security_headers(admin_ui.security_headers(response))
