"""The admin UI's languages: English and Dutch, one message catalogue (a dict) each.

The language is the one asked for with ``?lang=`` (kept in the session), else the session's, else the best
match of the browser's ``Accept-Language``, else English. Texts hold ``str.format`` fields (``{name}``).
"""

from __future__ import annotations

import logging
from typing import Any

from .messages_en import MESSAGES as ENGLISH
from .messages_nl import MESSAGES as DUTCH

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"
CATALOGUES: dict[str, dict[str, str]] = {"en": ENGLISH, "nl": DUTCH}


def choose(requested: str | None, stored: Any, accept: Any) -> str:
    """``requested``: ``?lang=``; ``stored``: the session's; ``accept``: Werkzeug's ``LanguageAccept``."""
    for candidate in (requested, stored):
        if candidate in LANGUAGES:
            return candidate
    return accept.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) if accept is not None else DEFAULT_LANGUAGE


def has(key: str) -> bool:
    return key in ENGLISH


def translate(language: str, key: str, **values: Any) -> str:
    """The text of ``key`` in ``language`` with ``values`` filled in; a missing key is logged and shown as is."""
    text = CATALOGUES.get(language, ENGLISH).get(key)
    if text is None:
        logger.warning("no text for %r in %r", key, language)
        return key
    return text.format(**values) if values else text


def label(language: str, prefix: str, value: str | None) -> str:
    """The translated name of a value (an audit action, an outcome) where the catalogue has one, else the value."""
    if value is None:
        return ""
    key = f"{prefix}.{value}"
    return translate(language, key) if has(key) else value
