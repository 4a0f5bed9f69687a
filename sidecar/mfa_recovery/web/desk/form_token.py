"""Cross-site request forgery protection of the request form, for visitors who have no session.

The browser gets a random 256-bit value in the cookie ``mfa_recovery_desk`` (``HttpOnly``, ``SameSite=Strict``,
``Path=/desk``, ``Secure`` unless the sidecar is plain http on loopback), and the form carries ``csrf_token`` =
HMAC-SHA256 of that value under the desk's form key. A POST must bring both, and the field must be the HMAC of the
cookie, compared in constant time: a page elsewhere can neither read the cookie nor, for a cookie it managed to
plant, make the matching field without the key. The form key is derived (HKDF-SHA256, its own ``info``) from the
code pepper, so every worker and replica checks the same tokens and no new secret has to be deployed; the pepper
is never used as this key itself.

A POST whose ``Origin`` names another origin than the sidecar's public one is refused before its body is read.
``Origin: null`` is left to the token (browsers send it on same-origin form posts under ``no-referrer``), as in the
admin UI (``web/admin_ui/csrf.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...config import is_loopback_http
from ..admin_ui.csrf import origin

COOKIE_NAME = "mfa_recovery_desk"
COOKIE_PATH = "/desk"
FIELD = "csrf_token"
KEY_INFO = b"mfa-recovery desk form token"
PURPOSE = b"desk-request\n"
COOKIE_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}\Z")  # secrets.token_urlsafe(32)


class FormRefused(Exception):
    """The form's cookie or token is missing or wrong, or it came from another origin; nothing was filed."""


def form_key(pepper: str) -> bytes:
    """The desk's form key: HKDF-SHA256 of the code pepper with an ``info`` of its own."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(pepper.encode("utf-8"))


@dataclass(frozen=True)
class FormTokens:
    key: bytes = field(repr=False)
    public_url: str

    @property
    def secure_cookie(self) -> bool:
        """``Secure`` unless the sidecar is reached over plain http on loopback (development and tests)."""
        return not is_loopback_http(self.public_url)

    def cookie(self, existing: str | None) -> tuple[str, bool]:
        """The browser's cookie value if it has a well-formed one, else a fresh one; and whether it is fresh (then
        the response must set it)."""
        if existing and COOKIE_FORMAT.match(existing):
            return existing, False
        return secrets.token_urlsafe(32), True

    def token(self, cookie: str) -> str:
        """The form field that fits ``cookie``."""
        return hmac.new(self.key, PURPOSE + cookie.encode("ascii"), hashlib.sha256).hexdigest()

    def check_origin(self, origin_header: str | None) -> None:
        """Raise :class:`FormRefused` when the request came from a page of another origin."""
        if origin_header is None or origin_header.strip() == "null":
            return
        if origin(origin_header) != origin(self.public_url):
            raise FormRefused(f"Origin {origin_header[:100]!r} is not {origin(self.public_url)!r}")

    def check_token(self, cookie: str | None, given: str | None) -> None:
        """Raise :class:`FormRefused` unless ``given`` is the token of the browser's ``cookie``."""
        if not cookie or not COOKIE_FORMAT.match(cookie):
            raise FormRefused("no form cookie")
        if not given:
            raise FormRefused("no form token")
        if not hmac.compare_digest(self.token(cookie).encode(), given.encode("utf-8", "replace")):
            raise FormRefused("wrong form token")
