"""Admin API, version 1: the recovery desk's operators (``/admin/v1/desk/…``; docs/desk.md, "Operators").

An operator calls with their own access token, issued by the operator realm (``MFA_RECOVERY_DESK_OPERATOR_REALM``)
and carrying its operator role; the token is checked against the keys of the realm that issued it, and anyone who
is not an operator is refused (403) by the domain before a case is read. Keycloak calls are made with that token.
"""

from __future__ import annotations

from flask import Response, jsonify, request

from ...admin.errors import InvalidToken
from ...admin.identity import AdminCall
from ..context import request_client, services
from . import calls as read
from . import representations
from .routes import bp


def desk_call() -> AdminCall:
    """The operator calling, from their bearer token: verified with the keys of the realm that issued it (the
    operator realm, or another, which the domain then refuses with 403)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("no bearer token")
    verifier = services().admin_tokens
    realm = verifier.issuer_realm(token) or services().settings.desk_operator_realm
    administrator = verifier.verify(token, realm)
    ip, user_agent = request_client()
    return AdminCall(administrator, ip=ip, user_agent=user_agent)


@bp.get("/desk/cases")
def desk_cases() -> Response:
    found = services().desk_decisions.open_cases(desk_call())
    return jsonify({"cases": [representations.desk_open_case(case) for case in found]})


@bp.get("/desk/cases/<case_number>")
def desk_case(case_number: str) -> Response:
    view = services().desk_decisions.case(desk_call(), case_number)
    return jsonify(representations.desk_case(view))


@bp.get("/desk/cases/<case_number>/documents/<document_id>")
def desk_document(case_number: str, document_id: str) -> Response:
    opened = services().desk_decisions.open_document(desk_call(), case_number, document_id)
    document = opened.document
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg"}.get(document.media_type, "bin")
    response = Response(opened.content, mimetype=document.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{document.kind.value}.{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.get("/desk/cases/<case_number>/administrators")
def desk_administrators(case_number: str) -> Response:
    found = services().desk_decisions.administrators(desk_call(), case_number)
    return jsonify({"administrators": [representations.desk_administrator(admin) for admin in found]})


@bp.post("/desk/cases/<case_number>/notes")
def desk_note(case_number: str) -> tuple[Response, int]:
    call = desk_call()
    note = services().desk_decisions.add_note(call, case_number, read.body().get("text"))
    return jsonify(
        {"operator": note.operator, "text": note.text, "created_at": representations.when(note.created_at)}
    ), 201


@bp.post("/desk/cases/<case_number>/approve")
def desk_approve(case_number: str) -> Response:
    call = desk_call()
    values = read.body()
    decision = services().desk_decisions.approve(call, case_number, values.get("user_id"), values.get("reason"))
    return jsonify(representations.desk_decision(decision))


@bp.post("/desk/cases/<case_number>/reject")
def desk_reject(case_number: str) -> Response:
    call = desk_call()
    decision = services().desk_decisions.reject(call, case_number, read.body().get("reason"))
    return jsonify(representations.desk_decision(decision))
