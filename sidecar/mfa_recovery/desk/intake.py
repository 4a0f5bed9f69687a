"""Filing a recovery request: what the public request page hands the desk, and what it gets back.

The answer is the same whether or not the account exists or is an administrator: a case number. Nothing in
Keycloak changes because of a request; an operator decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class DocumentKind(Enum):
    """The three documents of a request, one of each: the form field names are the values."""

    KVK_EXTRACT = "kvk_extract"  # the Chamber of Commerce (KvK) extract, a PDF
    ID_DOCUMENT = "id_document"  # the identity document, masked and stamped "COPY" in the browser, an image
    SELFIE = "selfie"  # the requester holding the document, an image


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it; nothing here is trusted (the name and the declared type least of all)."""

    kind: DocumentKind
    filename: str
    content: bytes


@dataclass(frozen=True)
class RecoveryRequest:
    """What the requester typed and sent, and from where. ``language`` (``en`` or ``nl``) is the page's."""

    organisation: str
    realm: str
    account: str  # username or email address, as typed
    phone: str  # for the call back
    kvk_number: str  # 8 digits
    documents: Sequence[Upload]
    ip: str | None
    user_agent: str | None
    language: str


@dataclass(frozen=True)
class Filed:
    """The answer to every accepted request: the case number shown on the page (and mailed to the account's
    address when the account exists)."""

    case_number: str


class RequestRefused(Exception):
    """The request cannot be filed as sent; nothing was stored. ``field`` names the form field at fault (a
    :class:`DocumentKind` value for a document, None for the request as a whole); ``message`` is English text that
    the page translates (a gettext message id, with ``values`` for its ``%(name)s`` placeholders)."""

    def __init__(self, field: str | None, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.field = field
        self.message = message
        self.values = values


class TooManyRequests(Exception):
    """Too many requests from this address or for this account lately; nothing was stored."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many recovery requests; try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class DeskIntake(Protocol):
    """Takes recovery requests."""

    def file(self, request: RecoveryRequest) -> Filed:
        """Check every field and document, then store the case with its documents encrypted, audit it, and queue
        the mail to the account's address. Raises :class:`RequestRefused` (bad input; the page says what to fix)
        or :class:`TooManyRequests`."""
