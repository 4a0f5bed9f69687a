"""Backup code format: 10 Crockford base32 characters (50 bits), shown as ``XXXX-XXXX-XX``."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
ENTROPY_BITS = CODE_LENGTH * 5  # 32 symbols = 5 bits each

_ALPHABET_SET = frozenset(ALPHABET)
# Crockford decoding: letters easily confused with digits read as the digit.
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DROPPED = str.maketrans("", "", " -\t")


def generate_code() -> str:
    """Return one new code in its normalised form (10 characters, no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def generate_codes(count: int) -> list[str]:
    """Return ``count`` distinct normalised codes."""
    if count < 1:
        raise ValueError("count must be at least 1")
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = generate_code()
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def display(code: str) -> str:
    """Group a normalised code for display: ``XXXX-XXXX-XX``."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def normalise(text: str) -> str | None:
    """Canonical form of what a user typed, or ``None`` if it cannot be a code.

    Uppercases, drops spaces and hyphens, reads O as 0 and I/L as 1.
    """
    candidate = text.upper().translate(_DROPPED).translate(_CONFUSABLES)
    if len(candidate) != CODE_LENGTH or not set(candidate) <= _ALPHABET_SET:
        return None
    return candidate
