"""The admin UI's blueprint: pages under ``/ui/realms/<realm>/…``, the stylesheet under ``/ui/static/``."""

from __future__ import annotations

from flask import Blueprint, g, request
from werkzeug.wrappers import Response

from ..context import realm_name
from . import auth

bp = Blueprint("admin_ui", __name__, url_prefix="/ui", template_folder="templates", static_folder="static")


@bp.before_request
def _realm() -> None:
    """The realm named in the path, checked before any view runs (a bad name is a 400 page)."""
    realm = (request.view_args or {}).get("realm")
    g.ui_realm = realm_name(realm) if realm is not None else None


@bp.after_request
def _store_session(response: Response) -> Response:
    return auth.write_session(response)
