"""The sidecar's own words in every language it speaks: English in the code (the message ids), the others in gettext
catalogs beside this module (``<language>/LC_MESSAGES/messages.po``, made from ``messages.pot``).

A catalog is compiled in memory the first time it is asked for, so no compiled ``.mo`` file is kept or needed. The
admin UI gets its catalog through Flask-Babel, the mails straight from :func:`translations` (no Flask there).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "en"
LANGUAGES = (SOURCE_LANGUAGE, "nl")
DOMAIN = "messages"


def N_(message: str) -> str:
    """``message`` as it is: marks a text for the catalog where it is kept, to be translated where it is shown."""
    return message


def catalog_path(language: str) -> str:
    """Where the catalog of ``language`` is, inside the package."""
    return f"{language}/LC_MESSAGES/{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The texts in ``language``: English is the message ids themselves; any other of :data:`LANGUAGES` is its
    catalog (messages marked fuzzy left out, so they show in English)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    with files(__name__).joinpath(catalog_path(language)).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(language: str, message: str, **values: object) -> str:
    """``message`` in ``language``, with ``values`` put into its ``%(name)s`` fields (when there are values)."""
    text = translations(language).gettext(message)
    return text % values if values else text
