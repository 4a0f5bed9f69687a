"""The admin UI's languages, those of ``mfa_recovery.translations``, through Flask-Babel.

The language is the one asked for with ``?lang=`` (kept in the session), else the session's, else the best match
of the browser's ``Accept-Language``, else English. Another door with pages of its own (the recovery desk) names
the paths it chooses the language for (:func:`choose_for`). Templates and views write the English text:
``{{ _("Page %(page)s of %(pages)s", page=..., pages=...) }}``, ``gettext(...)`` in Python. A translated text is
escaped like any other value: no translation is ever taken for HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.support import NullTranslations
from flask import Flask, request
from flask_babel import Babel, Domain, get_locale, gettext, ngettext
from werkzeug.utils import cached_property

from ...translations import LANGUAGES, SOURCE_LANGUAGE, translations


def choose(requested: str | None, stored: Any, accept: Any) -> str:
    """``requested``: ``?lang=``; ``stored``: the session's; ``accept``: Werkzeug's ``LanguageAccept``."""
    for candidate in (requested, stored):
        if candidate in LANGUAGES:
            return candidate
    return accept.best_match(LANGUAGES, default=SOURCE_LANGUAGE) if accept is not None else SOURCE_LANGUAGE


class _Catalogs(Domain):
    """Flask-Babel's texts of a request, from the sidecar's own catalogs (no ``.mo`` files)."""

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        return translations(str(locale)) if locale is not None else NullTranslations()


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _Catalogs()


CHOOSERS = "mfa_recovery_language_choosers"  # app.extensions: [(paths it applies to, chooser)]


def init(app: Flask, language: Callable[[], str]) -> None:
    """Flask-Babel for ``app``, with ``language()`` choosing a request's language unless a chooser registered with
    :func:`choose_for` takes its path; ``_``, ``gettext`` and ``ngettext`` in every template."""
    choosers: list[tuple[Callable[[str], bool], Callable[[], str]]] = app.extensions.setdefault(CHOOSERS, [])

    def select() -> str:
        for applies, chooser in choosers:
            if applies(request.path):
                return chooser()
        return language()

    _Babel(app, configure_jinja=False, default_locale=SOURCE_LANGUAGE, locale_selector=select)
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def choose_for(app: Flask, applies: Callable[[str], bool], language: Callable[[], str]) -> None:
    """``language()`` chooses the language of the requests whose path ``applies``."""
    app.extensions.setdefault(CHOOSERS, []).append((applies, language))
