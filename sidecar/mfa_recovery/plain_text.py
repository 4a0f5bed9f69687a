"""Text the sidecar keeps: which strings it can store, which are one line of free text, and how text that must
not be refused (what Keycloak forwards about a browser) is cleaned.

JSON lets a caller send a lone surrogate (``"\\ud800"``), which is no character at all: it cannot be encoded as
UTF-8, so neither the audit chain's hash nor the database can take it. PostgreSQL's ``text`` also refuses NUL.
A *line* of free text (a reason, a search term) has no control character at all: C0 (tab and line breaks
included, since it is one line), DEL and C1.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_NUL = "\x00"


def is_storable(value: str) -> bool:
    """Whether ``value`` can be stored as it is: encodable as UTF-8 and without NUL."""
    return _SURROGATE.search(value) is None and _NUL not in value


def is_one_line(value: str) -> bool:
    """Whether ``value`` is storable and holds no control character (tab and line breaks included)."""
    return is_storable(value) and _CONTROL.search(value) is None


def cleaned(value: str) -> str:
    """``value`` with every lone surrogate and control character replaced by U+FFFD (so it shows that something
    was there): one storable line."""
    return _CONTROL.sub(REPLACEMENT, _SURROGATE.sub(REPLACEMENT, value))


def storable(value: str) -> str:
    """``value`` with what cannot be stored (lone surrogates, NUL) replaced by U+FFFD; other text unchanged."""
    return _SURROGATE.sub(REPLACEMENT, value).replace(_NUL, REPLACEMENT)
