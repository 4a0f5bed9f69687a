"""Mailed codes: 8 random digits, shown ``1234 5678``; stored only as an HMAC under the server's pepper."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .limits import CODE_DIGITS, MAX_INPUT_LENGTH

_DROPPED = str.maketrans("", "", " -\t")


def generate() -> str:
    """A new code: ``CODE_DIGITS`` digits from the system's secure random source."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def display(digits: str) -> str:
    """``12345678`` → ``1234 5678``."""
    half = len(digits) // 2
    return f"{digits[:half]} {digits[half:]}"


def normalise(text: str) -> str | None:
    """The digits of what the user typed (spaces and hyphens dropped), or None when it cannot be a code."""
    candidate = text[:MAX_INPUT_LENGTH].translate(_DROPPED)
    if len(candidate) != CODE_DIGITS or not candidate.isascii() or not candidate.isdigit():
        return None
    return candidate


def lookup(pepper: str, realm: str, user_id: str, purpose: str, digits: str) -> str:
    """``HMAC-SHA256(pepper, "email-code|realm|user|purpose|digits")`` in hex: all that is stored of a code."""
    message = "|".join(("email-code", realm, user_id, purpose, digits)).encode("utf-8")
    return hmac.new(pepper.encode("utf-8"), message, hashlib.sha256).hexdigest()


def matches(pepper: str, realm: str, user_id: str, purpose: str, typed: str | None, stored_lookup: str) -> bool:
    """Whether ``typed`` (normalised, or None) is the code behind ``stored_lookup``, in constant time."""
    candidate = lookup(pepper, realm, user_id, purpose, typed if typed is not None else "-")
    return hmac.compare_digest(candidate, stored_lookup) and typed is not None
