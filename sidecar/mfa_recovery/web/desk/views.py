"""The request page: ``GET /desk/request`` shows the form, ``POST /desk/request`` (multipart/form-data) files it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...desk.intake import DocumentKind, RecoveryRequest, RequestRefused, TooManyRequests, Upload
from ...keycloak.realm_keys import is_realm_name
from ..context import request_client, services
from . import pages
from .form_token import COOKIE_NAME, COOKIE_PATH, FIELD

bp = Blueprint("desk", __name__, url_prefix=pages.PREFIX, template_folder="templates", static_folder="static")

TEXT_FIELDS = ("organisation", "realm", "account", "phone", "kvk_number")
FORM = "form"  # where a refusal of the request as a whole is shown


@bp.before_request
def _limits() -> None:
    """This route takes documents: more than the rest of the sidecar (``MAX_CONTENT_LENGTH``), still bounded. Text
    fields keep Flask's own bound (``MAX_FORM_MEMORY_SIZE``, 500 kB: Werkzeug's parser holds a 64 KiB chunk in
    memory beside a field, so a tighter one refuses ordinary uploads)."""
    request.max_content_length = pages.MAX_REQUEST_BYTES
    request.max_form_parts = pages.MAX_FORM_PARTS


@bp.get("/request")
def request_form() -> Any:
    if services().desk_intake is None:
        return pages.desk_closed()
    realm = request.args.get("realm", "")
    return _form({"realm": realm if is_realm_name(realm) else ""})


@bp.post("/request")
def file_request() -> Any:
    intake = services().desk_intake
    if intake is None:
        return pages.desk_closed()
    tokens = pages.tokens()
    tokens.check_origin(request.headers.get("Origin"))  # before the body is read
    tokens.check_token(request.cookies.get(COOKIE_NAME), request.form.get(FIELD))
    values = {name: request.form.get(name, "") for name in TEXT_FIELDS}
    ip, user_agent = request_client()
    filing = RecoveryRequest(
        organisation=values["organisation"],
        realm=values["realm"],
        account=values["account"],
        phone=values["phone"],
        kvk_number=values["kvk_number"],
        documents=_documents(),
        ip=ip,
        user_agent=user_agent,
        language=pages.language(),
    )
    try:
        filed = intake.file(filing)
    except RequestRefused as refused:
        field = refused.field if refused.field in (*TEXT_FIELDS, *(kind.value for kind in DocumentKind)) else FORM
        return _form(values, errors={field: _refusal(refused)}, status=400, choose_again=True)
    except TooManyRequests as limited:
        return pages.too_many(limited.retry_after_seconds)
    # No language switch here: it would lead back to the form, away from the case number.
    return pages.render(
        "filed.html", title=_("Your request has been filed"), case_number=filed.case_number, no_language_switch=True
    )


def _documents() -> tuple[Upload, ...]:
    """Every file sent, in the order of :class:`DocumentKind`, under the kind its field names. A file input left
    empty (no name, no content) is no document. The identity document's field carries the copy the page masked; the
    page never gives the original file a field name."""
    found = []
    for kind in DocumentKind:
        for upload in request.files.getlist(kind.value):
            content = upload.read()
            if upload.filename or content:
                found.append(Upload(kind, upload.filename or "", content))
    return tuple(found)


def _refusal(refused: RequestRefused) -> str:
    """The domain's English message in the page's language, with its values (a translation has the same fields:
    tests/unit/test_translations.py)."""
    text: str = _(refused.message, **refused.values)
    return text


def _form(
    values: dict[str, str], *, errors: dict[str, str] | None = None, status: int = 200, choose_again: bool = False
) -> Response:
    """The form, filled with ``values``; a cookie for its token if the browser has none yet."""
    tokens = pages.tokens()
    cookie, fresh = tokens.cookie(request.cookies.get(COOKIE_NAME))
    page, status = pages.render(
        "request.html",
        status=status,
        title=_("Request account recovery"),
        values=values,
        errors=errors or {},
        choose_again=choose_again,
        csrf_token=tokens.token(cookie),
        max_bytes=pages.MAX_REQUEST_BYTES,
        max_megabytes=pages.max_megabytes(),
    )
    response = current_app.make_response((page, status))
    if fresh:
        response.set_cookie(
            COOKIE_NAME, cookie, path=COOKIE_PATH, secure=tokens.secure_cookie, httponly=True, samesite="Strict"
        )
    return response
