"""The sidecar's catalogs: the texts the code and the templates ask for are exactly those of the catalogs, every
language has every one of them, and the catalogs ship with the package."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from mfa_recovery.translations import DOMAIN, LANGUAGES, SOURCE_LANGUAGE, catalog_path, translate, translations

SIDECAR = Path(__file__).resolve().parents[2] / "sidecar"
PACKAGE = SIDECAR / "mfa_recovery"
CATALOGS = PACKAGE / "translations"
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
FIELD = re.compile(r"%\((\w+)\)s")
Key = tuple[str | None, str | tuple[str, ...]]  # (context, message id: a text, or singular and plural)


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def key(message: Message) -> Key:
    return message.context, message.id if isinstance(message.id, str) else tuple(message.id)


def entries(catalog: Catalog) -> dict[Key, Message]:
    return {key(message): message for message in catalog if message.id}


def extracted() -> dict[Key, list[str]]:
    """What the code asks to translate, found as ``pybabel extract -F babel.cfg`` finds it, and where."""
    with (SIDECAR / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[Key, list[str]] = {}
    for filename, _, message, _, context in extract_from_dir(PACKAGE, method_map, options_map):
        message_id = message if isinstance(message, str) else tuple(message)
        found.setdefault((context, message_id), []).append(filename)
    return found


def texts(message: str | Sequence[str]) -> tuple[str, ...]:
    """A message's id or translation as its texts: one, or the singular and the plural forms."""
    return (message,) if isinstance(message, str) else tuple(message)


def fields(text: str) -> set[str]:
    return set(FIELD.findall(text))


TEMPLATE = entries(read(CATALOGS / "messages.pot"))


def test_the_template_holds_exactly_what_the_code_asks_for() -> None:
    found = extracted()
    missing = {k: where for k, where in found.items() if k not in TEMPLATE}
    stale = sorted(str(k) for k in TEMPLATE.keys() - found.keys())
    assert not missing, f"not in messages.pot (run pybabel extract): {missing}"
    assert not stale, f"in messages.pot but no longer in the code (run pybabel extract): {stale}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_holds_exactly_the_templates_messages(language: str) -> None:
    catalog = read(CATALOGS / catalog_path(language), language)
    present = entries(catalog)
    assert not TEMPLATE.keys() - present.keys(), f"not in {language} (run pybabel update)"
    assert not present.keys() - TEMPLATE.keys(), f"stale in {language} (run pybabel update)"
    assert not catalog.obsolete, f"obsolete messages in {language} (pybabel update --ignore-obsolete)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_fields(language: str) -> None:
    catalog = read(CATALOGS / catalog_path(language), language)
    for k, message in entries(catalog).items():
        assert not message.fuzzy, f"fuzzy in {language}: {k}"
        assert message.string is not None, f"not translated into {language}: {k}"
        translated = texts(message.string)
        assert all(text.strip() for text in translated), f"not translated into {language}: {k}"
        english = set().union(*(fields(text) for text in texts(message.id)))
        for text in translated:
            assert fields(text) == english, f"other fields in {language}: {k}"
    assert not [(message.id, errors) for message, errors in catalog.check()], "babel's checks of the catalog"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_has_every_translation(language: str) -> None:
    catalog = read(CATALOGS / catalog_path(language), language)
    compiled = translations(language)
    for message in entries(catalog).values():
        if isinstance(message.id, str):
            shown = compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)
            assert shown == message.string, message.id


def test_english_is_the_source_and_complete() -> None:
    for (_, message_id), message in TEMPLATE.items():
        for text in texts(message_id):
            assert text.strip() and text == text.strip(), f"no English text: {message_id!r}"
            # Only named fields (a translation may need another order), and no '%' of another kind.
            assert "%" not in FIELD.sub("", text), message_id
            assert ("python-format" in message.flags) == bool(fields(text)), message_id
        if isinstance(message_id, str):
            assert translate(SOURCE_LANGUAGE, message_id) == message_id


def test_values_fill_the_fields_in_every_language() -> None:
    valid = "The code is valid for %(minutes)s minutes."
    assert translate("en", valid, minutes=10) == "The code is valid for 10 minutes."
    assert translate("nl", valid, minutes=10) == "De code is 10 minuten geldig."
    assert translate("nl", "When") == "Wanneer"
    with pytest.raises(ValueError):
        translations("fr")


def test_the_catalogs_ship_with_the_package() -> None:
    """A non-editable install (the Dockerfile's) carries only the package data pyproject.toml names."""
    setup = tomllib.loads((SIDECAR / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = setup["package-data"]["mfa_recovery.translations"]
    shipped = {path for pattern in patterns for path in CATALOGS.glob(pattern)}
    catalogs = {path for path in CATALOGS.rglob("*") if path.suffix in (".po", ".pot")}
    assert catalogs and catalogs <= shipped
    assert {CATALOGS / catalog_path(language) for language in TRANSLATED} <= catalogs


def test_the_mails_take_their_texts_without_flask() -> None:
    """Mails are made by the sender's thread and the domain, outside any request."""
    mails = sorted(path.stem for path in (PACKAGE / "notifications" / "mails").glob("*.py") if path.stem != "__init__")
    code = "import sys\n" + "".join(f"import mfa_recovery.notifications.mails.{name}\n" for name in mails)
    code += "assert not [name for name in sys.modules if name.split('.')[0] in ('flask', 'flask_babel')], 'flask'\n"
    subprocess.run([sys.executable, "-c", code], cwd=SIDECAR, check=True)
