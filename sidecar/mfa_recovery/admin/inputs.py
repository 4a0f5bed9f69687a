"""Checks of what an administrator types, for the admin API and the admin UI alike. Everything refused here is
refused before anything is changed or asked of Keycloak."""

from __future__ import annotations

from typing import Any

from .. import plain_text
from .errors import InvalidInput

MAX_REASON_LENGTH = 500


def reason(value: Any, *, required: bool) -> str | None:
    """The reason given for an action, stripped: one line of 1 to 500 characters without control characters (tab
    and line breaks included); an optional one may be absent or blank."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidInput("reason must be a string")
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput("reason is required")
        return None
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"reason must be at most {MAX_REASON_LENGTH} characters")
    if not plain_text.is_one_line(text):
        raise InvalidInput("reason must be one line of text, without control characters or invalid characters")
    return text


def search_term(name: str, value: str, max_length: int) -> str | None:
    """A term to search or filter by, stripped; blank reads as absent. One line of at most ``max_length``
    characters."""
    text = value.strip()
    if len(text) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters")
    if not plain_text.is_one_line(text):
        raise InvalidInput(f"{name} must be one line of text, without control characters or invalid characters")
    return text or None
