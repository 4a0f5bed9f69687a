"""Server-side sessions of the admin UI, kept in the store (:mod:`.repository`).

The browser holds only a random 256-bit key in the cookie ``mfa_recovery_ui``; the table holds its SHA-256, the
realm, and the session's data (Keycloak's tokens, the CSRF secret, the language, a sign-in under way, messages for
the next page). A session lasts 8 hours at most and ends after 30 minutes without a request (10 minutes while no
one is signed in to it: a sign-in under way). Expired rows are deleted whenever a session starts.

The data is sealed (AES-256-GCM) under a key derived from the cookie's key, which is never stored: the database,
its WAL or a backup hold no administrator's token readable without the browser's cookie, during the session or
after it (a deleted row may linger in free pages, but only as ciphertext). The row's id and realm are bound to the
ciphertext, so a sealed blob moved to another row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...store.times import aware
from .repository import StoredUiSession, UiSessionRepository

COOKIE_NAME = "mfa_recovery_ui"
COOKIE_PATH = "/ui"
ABSOLUTE_LIFETIME = timedelta(hours=8)
IDLE_TIMEOUT = timedelta(minutes=30)
UNSIGNED_TIMEOUT = timedelta(minutes=10)  # a session nobody signed in to yet (as long as a sign-in may take)
KEY_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}\Z")  # secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


@dataclass
class UiSession:
    """One browser's session with one realm. ``key`` is the cookie's value and is never stored."""

    key: str = field(repr=False)
    realm: str
    data: dict[str, Any]
    created_at: datetime

    @property
    def id(self) -> str:
        return key_hash(self.key)

    @property
    def csrf_secret(self) -> bytes:
        return bytes.fromhex(self.data["csrf"])


def _fresh_key() -> str:
    return secrets.token_urlsafe(32)


SEALED = "sealed"
_NONCE_BYTES = 12


def _data_key(key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mfa-recovery ui session data").derive(
        key.encode("ascii")
    )


def seal(key: str, realm: str, data: dict[str, Any]) -> dict[str, str]:
    """``data`` as stored: encrypted under the cookie's key, bound to the row's id and realm."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plain = json.dumps(data, separators=(",", ":")).encode("utf-8")
    sealed = AESGCM(_data_key(key)).encrypt(nonce, plain, f"{key_hash(key)}|{realm}".encode())
    return {SEALED: base64.b64encode(nonce + sealed).decode("ascii")}


def unseal(key: str, realm: str, stored: Any) -> dict[str, Any] | None:
    """The data of a stored row, or None when it does not open with this key for this realm."""
    if not isinstance(stored, dict) or not isinstance(stored.get(SEALED), str):
        return None
    try:
        raw = base64.b64decode(stored[SEALED], validate=True)
        plain = AESGCM(_data_key(key)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], f"{key_hash(key)}|{realm}".encode()
        )
        data = json.loads(plain)
    except (ValueError, InvalidTag):
        return None
    return data if isinstance(data, dict) else None


class UiSessions:
    """The admin UI's sessions, sealed under their cookie's key and kept in the store (``repository``)."""

    def __init__(self, repository: UiSessionRepository, clock: Callable[[], datetime]) -> None:
        self._repository = repository
        self._clock = clock

    def new(self, realm: str, data: dict[str, Any] | None = None) -> UiSession:
        """A session not stored yet (:meth:`save` stores it), with a fresh key and CSRF secret; ``data`` is
        carried over (the language of an anonymous visitor, say). Deletes the expired sessions."""
        self.purge()
        carried = {name: value for name, value in (data or {}).items() if name != "csrf"}
        return UiSession(_fresh_key(), realm, {**carried, "csrf": secrets.token_hex(32)}, self._clock())

    def load(self, key: str | None, realm: str) -> UiSession | None:
        """The live session with this cookie value for ``realm``; None when there is none (an expired one is
        deleted)."""
        if not key or not KEY_FORMAT.match(key):
            return None
        stored = self._repository.find(key_hash(key))
        if stored is None:
            return None
        now = self._clock()
        if aware(stored.expires_at, now) <= now:
            self.delete(key)
            return None
        data = unseal(key, realm, stored.sealed) if stored.realm == realm else None
        if data is None:
            return None
        return UiSession(key, stored.realm, data, aware(stored.created_at, now))

    def save(self, session: UiSession) -> None:
        """Store the session and move its idle expiry on (never past the absolute one)."""
        idle = IDLE_TIMEOUT if "tokens" in session.data else UNSIGNED_TIMEOUT
        expires_at = min(session.created_at + ABSOLUTE_LIFETIME, self._clock() + idle)
        sealed = seal(session.key, session.realm, session.data)
        self._repository.save(StoredUiSession(session.id, session.realm, sealed, session.created_at, expires_at))

    def delete(self, key: str) -> None:
        self._repository.delete(key_hash(key))

    def purge(self) -> int:
        """Delete the expired sessions; how many."""
        return self._repository.delete_expired(self._clock())
