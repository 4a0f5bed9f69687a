"""JSON error responses; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request",
    401: "invalid_token",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    414: "uri_too_long",  # answered by gunicorn_worker, before the application
    415: "unsupported_media_type",
    431: "header_fields_too_large",  # likewise
    500: "internal_error",
    503: "unavailable",
}


class ApiError(HTTPException):
    """An HTTP error with a chosen message for the JSON body."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(description=message)
        self.code = code


def error_response(status: int, message: str) -> tuple[Response, int]:
    error = ERROR_CODES.get(status, "error")
    return jsonify({"error": error, "message": message}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        response, status = error_response(status, exc.description or exc.name)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return _http_error(exc)
        logger.exception("unhandled error")
        return error_response(500, "internal error")
