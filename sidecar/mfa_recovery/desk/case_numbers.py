"""Case numbers: 12 Crockford base32 characters (60 random bits), shown ``XXXX-XXXX-XXXX``.

The number is what the requester reads on the page and in the mail and tells the operator on the phone, so it is
short enough to read out and random enough that nobody finds a case by guessing one. Reading one back forgives what
people type: case, spaces and hyphens, O for 0 and I or L for 1 (the alphabet has neither O, I nor L).
"""

from __future__ import annotations

import secrets

from ..backup_codes.codes import ALPHABET

LENGTH = 12
GROUP = 4
_ALPHABET_SET = frozenset(ALPHABET)
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DROPPED = str.maketrans("", "", " -\t")


def new_case_number() -> str:
    """A fresh case number, grouped: ``7G2K-M9QX-3TBW``."""
    return grouped("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def grouped(characters: str) -> str:
    return "-".join(characters[start : start + GROUP] for start in range(0, len(characters), GROUP))


def normalise_case_number(text: str) -> str | None:
    """The case number as stored (grouped) for what someone typed, or None when it cannot be one."""
    candidate = text.upper().translate(_DROPPED).translate(_CONFUSABLES)
    if len(candidate) != LENGTH or not set(candidate) <= _ALPHABET_SET:
        return None
    return grouped(candidate)
