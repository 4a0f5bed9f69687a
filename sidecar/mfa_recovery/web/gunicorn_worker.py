"""gunicorn's own refusals in the API's JSON (docs/architecture.md, "Admin API", "Limits of a request").

gunicorn refuses a request line longer than ``--limit-request-line`` (414) and header fields larger than
``--limit-request-field_size`` or more than ``--limit-request-fields`` of them (431) before the application sees
the request, and answers with an HTML page of its own. ``serve`` runs this worker instead of gunicorn's plain
sync worker: it answers those two refusals as the application answers its errors, ``{"error", "message"}`` in
JSON with the same status. The limits stay gunicorn's own, on the raw bytes, exactly as strict as before; every
other error keeps gunicorn's handling.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.sync import SyncWorker

from .errors import ERROR_CODES

URI_TOO_LONG = 414
HEADER_FIELDS_TOO_LARGE = 431
REASONS = {URI_TOO_LONG: "URI Too Long", HEADER_FIELDS_TOO_LARGE: "Request Header Fields Too Large"}


def refusal(exc: BaseException, cfg: Any) -> tuple[int, str] | None:
    """The status and message for one of gunicorn's size refusals; None for any other error. The message names
    the limit, never what was sent."""
    if isinstance(exc, LimitRequestLine):
        return URI_TOO_LONG, f"the request line is longer than {cfg.limit_request_line} bytes"
    if isinstance(exc, LimitRequestHeaders):
        return HEADER_FIELDS_TOO_LARGE, (
            f"a header field is longer than {cfg.limit_request_field_size} bytes,"
            f" or there are more than {cfg.limit_request_fields} of them"
        )
    return None


def json_response(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection: the JSON error and the headers every answer gets."""
    body = json.dumps({"error": ERROR_CODES[status], "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class JsonRefusalWorker(SyncWorker):
    """gunicorn's sync worker, answering its 414 and 431 in JSON."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        found = refusal(exc, self.cfg)
        if found is None:
            super().handle_error(req, client, addr, exc)
            return
        status, message = found
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("", -1))[0], exc)
        try:
            client.sendall(json_response(status, message))
        except OSError:
            self.log.debug("Failed to send error message.")
