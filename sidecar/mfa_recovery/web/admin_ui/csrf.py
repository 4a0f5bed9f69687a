"""Cross-site request forgery protection of the admin UI's forms.

Every POST form carries ``csrf_token`` = HMAC-SHA256 of the session id and the form's purpose (say
``disable-mfa:<user id>``) under the session's own random secret, so a token fits one form of one session. It is
compared in constant time. A POST whose ``Origin`` header names another origin than the sidecar's public one is
refused too. ``Origin: null`` is not a refusal by itself: under the UI's own ``Referrer-Policy: no-referrer``
browsers send exactly that on same-origin form POSTs (Fetch, "append a request Origin header"), so such a POST
is decided by its token alone. The session cookie's ``SameSite=Lax`` already keeps it off cross-site POSTs in
current browsers.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from .sessions import UiSession

FIELD = "csrf_token"
DEFAULT_PORTS = {"http": 80, "https": 443}


class CsrfRefused(Exception):
    """The form's token is missing or wrong, or it came from another origin; nothing was changed."""


def token(session: UiSession, purpose: str) -> str:
    message = f"{session.id}\n{purpose}".encode()
    return hmac.new(session.csrf_secret, message, hashlib.sha256).hexdigest()


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL (the default port left out, as browsers send ``Origin``); None when the
    value is no http(s) origin (``null``, say)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    shown = "" if port in (None, DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host}{shown}"


def check(
    session: UiSession | None, purpose: str, given: str | None, origin_header: str | None, public_url: str
) -> None:
    """Raise :class:`CsrfRefused` unless the form's token fits ``purpose`` in ``session`` and the request came
    from the sidecar's own pages."""
    if origin_header is not None and origin_header.strip() != "null" and origin(origin_header) != origin(public_url):
        raise CsrfRefused(f"Origin {origin_header[:100]!r} is not {origin(public_url)!r}")
    if session is None or not given:
        raise CsrfRefused("no session or no token")
    if not hmac.compare_digest(token(session, purpose).encode(), given.encode("utf-8", "replace")):
        raise CsrfRefused(f"wrong token for {purpose!r}")
