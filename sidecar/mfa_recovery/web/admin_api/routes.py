"""Admin API, version 1 (docs/architecture.md, "Admin API"): for the admin UI and operators' scripts.

Every call carries the administrator's own Keycloak access token, and every Keycloak call of an action is made
with it, so Keycloak's permissions decide. Reading a call is in ``calls``, the JSON shapes in
``representations``; the description is ``web/openapi/admin-v1.yaml``, served here too.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from ...admin.errors import AdminError, InvalidToken, KeycloakUnavailable
from ...admin.trail import AuditQuery
from .. import openapi
from ..context import services
from ..context import user_id as valid_user_id
from . import calls as read
from . import representations

logger = logging.getLogger(__name__)

bp = Blueprint("admin_v1", __name__, url_prefix="/admin/v1")

EMPLOYEES_PAGE = 20
AUDIT_PAGE = 50
MAX_SEARCH_LENGTH = 255
MAX_NAME_LENGTH = 255


bp.before_request(read.only_described_query)


@bp.after_app_request
def _no_store(response: Response) -> Response:
    """Every answer under the prefix, errors of routing (404, 405) included."""
    if request.path.startswith(bp.url_prefix or ""):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(AdminError)
def _admin_error(exc: AdminError) -> tuple[Response, int]:
    """The domain's refusals as ``{"error", "message"}``. Which token check failed, and what Keycloak said when
    it failed, goes to the log only."""
    message = str(exc)
    if isinstance(exc, InvalidToken):
        logger.warning("refused admin token: %s", exc)
        message = "missing or invalid access token"
    elif isinstance(exc, KeycloakUnavailable):
        logger.error("Keycloak unavailable for the admin API: %s", exc)
        message = "Keycloak is unavailable"
    response = jsonify({"error": exc.error, "message": message})
    if isinstance(exc, InvalidToken):
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response, exc.status


# -- employees -----------------------------------------------------------------------------------------------------


@bp.get("/realms/<realm>/employees")
def employees(realm: str) -> Response:
    call = read.admin_call(realm)
    first, max_results = read.page(EMPLOYEES_PAGE)
    found = services().employees.page(call, realm, read.text("search", MAX_SEARCH_LENGTH), first, max_results)
    return jsonify(representations.employee_page(found))


@bp.get("/realms/<realm>/employees/<user_id>")
def employee(realm: str, user_id: str) -> Response:
    call = read.admin_call(realm)
    return jsonify(representations.employee_detail(services().employees.one(call, realm, valid_user_id(user_id))))


@bp.post("/realms/<realm>/employees/<user_id>/disable-mfa")
def disable_mfa(realm: str, user_id: str) -> Response:
    call = read.admin_call(realm)
    values = read.body()
    done = services().mfa_actions.disable_mfa(
        call, realm, valid_user_id(user_id), values.get("reason"), read.boolean(values, "enrol_again", True)
    )
    return jsonify(
        {
            "result": "disabled" if done.removed_credentials else "unchanged",
            "removed_credentials": done.removed_credentials,
            "enrol_again": done.enrol_again,
            "required_action_added": done.required_action_added,
        }
    )


@bp.delete("/realms/<realm>/employees/<user_id>/backup-codes")
def revoke_backup_codes(realm: str, user_id: str) -> Response:
    call = read.admin_call(realm)
    values = read.body(optional=True)
    done = services().mfa_actions.revoke_backup_codes(call, realm, valid_user_id(user_id), read.optional_reason(values))
    changed = done.codes_revoked or done.markers_removed
    return jsonify(
        {
            "result": "revoked" if changed else "unchanged",
            "codes_revoked": done.codes_revoked,
            "markers_removed": done.markers_removed,
        }
    )


@bp.delete("/realms/<realm>/employees/<user_id>/backup-email")
def remove_backup_email(realm: str, user_id: str) -> Response:
    call = read.admin_call(realm)
    values = read.body(optional=True)
    done = services().mfa_actions.remove_backup_email(call, realm, valid_user_id(user_id), read.optional_reason(values))
    return jsonify(
        {
            "result": "removed" if done.removed or done.codes_ended else "unchanged",
            "address_hint": done.address_hint,
            "codes_ended": done.codes_ended,
        }
    )


# -- policy --------------------------------------------------------------------------------------------------------


@bp.get("/realms/<realm>/policy")
def policy(realm: str) -> Response:
    call = read.admin_call(realm)
    return jsonify(representations.policy(services().policy.view(call, realm)))


@bp.put("/realms/<realm>/policy")
def set_policy(realm: str) -> Response:
    call = read.admin_call(realm)
    values = read.body()
    change = services().policy.set(call, realm, read.boolean(values, "force_mfa"), values.get("reason"))
    return jsonify({**representations.policy(change.state), "changed": change.changed, "left": list(change.left)})


# -- audit trail ---------------------------------------------------------------------------------------------------


@bp.get("/realms/<realm>/audit")
def audit(realm: str) -> Response:
    call = read.admin_call(realm)
    first, max_results = read.page(AUDIT_PAGE)
    query = AuditQuery(
        subject=read.text("subject", MAX_NAME_LENGTH),
        action=read.text("action", MAX_NAME_LENGTH),
        actor=read.text("actor", MAX_NAME_LENGTH),
        since=read.moment("since"),
        until=read.moment("until"),
        first=first,
        max=max_results,
    )
    return jsonify(representations.audit_page(services().audit_trail.search(call, realm, query)))


@bp.get("/realms/<realm>/audit/head")
def audit_head(realm: str) -> Response:
    head = services().audit_trail.head(read.admin_call(realm), realm)
    return jsonify({"id": head.id if head else None, "hash": head.hash if head else None})


# -- description ---------------------------------------------------------------------------------------------------


@bp.get("/openapi.yaml")
def openapi_yaml() -> Response:
    return Response(openapi.text(openapi.ADMIN), mimetype="application/yaml")


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi.document(openapi.ADMIN))
