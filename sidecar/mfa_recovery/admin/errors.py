"""What an admin action can end in besides success. The HTTP side maps each onto a status and an error code."""

from __future__ import annotations


class AdminError(Exception):
    """Base of the admin domain's refusals; ``str(exc)`` is a message fit for the caller."""

    status = 500
    error = "internal_error"


class InvalidInput(AdminError):
    status = 400
    error = "bad_request"


class InvalidToken(AdminError):
    """The bearer token is missing or not acceptable. The message says which check failed, for the log; the
    caller is told less."""

    status = 401
    error = "invalid_token"


class Forbidden(AdminError):
    """Keycloak refused the administrator (its 401 or 403), or the administrator may not manage the user."""

    status = 403
    error = "forbidden"


class NotFound(AdminError):
    status = 404
    error = "not_found"


class MfaForced(AdminError):
    """MFA cannot be switched off for one user while the realm forces it for all."""

    status = 409
    error = "mfa_forced"


class NoMfaStep(AdminError):
    """The realm's browser flow has no ``mfa-recovery`` step inside a subflow, so there is nothing to force."""

    status = 409
    error = "no_mfa_step"


class KeycloakUnavailable(AdminError):
    """Keycloak could not be reached, failed (5xx), answered something unexpected, or refused the sidecar's own
    service account (a configuration fault, not the administrator's). Raised by every call to Keycloak
    (:mod:`mfa_recovery.keycloak`): the admin API's, the admin UI's sign-in, and the directory's look-ups
    (:class:`mfa_recovery.directory.Directory`), where a mail waits for a later attempt and a supervisor look-up
    ends as "unavailable"."""

    status = 502
    error = "keycloak_unavailable"
