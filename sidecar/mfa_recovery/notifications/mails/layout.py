"""What every mail shares: its language, dates, greeting, the client facts, and the plain-text and HTML layout.

A mail's texts are English in the code, ``_("Hello %(name)s,", name=...)`` with the mail's :class:`Texts`, and
in the catalogs of ``mfa_recovery.translations`` for the other languages.

A mail's body is a list of blocks: a paragraph (``str``), a :class:`Code` on a line of its own, or
:class:`Facts` (a two-column table). The text part puts a blank line between blocks; the HTML part escapes
everything it is given.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_date

from ...translations import LANGUAGES, SOURCE_LANGUAGE, translate

MAX_USER_AGENT_SHOWN = 300


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    language: str


@dataclass(frozen=True)
class Occurrence:
    """What a mail reports: in which realm, when, and from which IP address and browser (as Keycloak saw them)."""

    realm: str
    occurred_at: datetime
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Code:
    """A code, alone on its line (``1234 5678``), so a reader copies exactly that."""

    shown: str


@dataclass(frozen=True)
class Facts:
    rows: Sequence[tuple[str, str]]


Block = str | Code | Facts


@dataclass(frozen=True)
class Texts:
    """The texts of a mail in its language: ``_("Hello %(name)s,", name=name)`` is that text in ``language``."""

    language: str

    def __call__(self, message: str, **values: object) -> str:
        return translate(self.language, message, **values)


def language_of(locale: str | None) -> str:
    """``nl``, ``nl-NL``, ``nl_BE`` → ``nl``; anything unknown → English."""
    if not locale:
        return SOURCE_LANGUAGE
    primary = locale.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else SOURCE_LANGUAGE


def texts(locale: str | None) -> Texts:
    """The texts for a reader whose locale is ``locale``."""
    return Texts(language_of(locale))


def format_when(moment: datetime, language: str) -> str:
    """``25 November 2025, 14:03 UTC (2025-11-25T14:03:12Z)``."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    day = format_date(utc.date(), "d MMMM y", locale=language)
    iso = utc.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"{day}, {utc:%H:%M} UTC ({iso})"


def greeting(_: Texts, first_name: str | None) -> str:
    name = (first_name or "").strip()
    return _("Hello %(name)s,", name=name) if name else _("Hello,")


def when_fact(_: Texts, event: Occurrence) -> tuple[str, str]:
    """When it happened, without where from (a decision of the sidecar's operators, not the user's request)."""
    return (_("When"), format_when(event.occurred_at, _.language))


def client_facts(_: Texts, event: Occurrence) -> list[tuple[str, str]]:
    """When, from which IP address and with which browser, as Keycloak saw the request."""
    agent = (event.user_agent or "").strip()[:MAX_USER_AGENT_SHOWN]
    return [
        (_("When"), format_when(event.occurred_at, _.language)),
        (_("IP address"), (event.ip or "").strip() or _("unknown")),
        (_("Browser"), agent or _("unknown")),
    ]


def render(_: Texts, subject: str, greeting_line: str, blocks: Sequence[Block]) -> Mail:
    footer = _("This message was sent automatically; replies are not read.")
    return Mail(
        subject=subject,
        text=_text(greeting_line, blocks, footer),
        html=_html(_.language, greeting_line, blocks, footer),
        language=_.language,
    )


def _text(greeting_line: str, blocks: Sequence[Block], footer: str) -> str:
    lines = [greeting_line, ""]
    for block in blocks:
        if isinstance(block, Code):
            lines.append(block.shown)
        elif isinstance(block, Facts):
            width = max(len(label) for label, _value in block.rows) + 2
            lines += [f"{label + ':':<{width}}{value}" for label, value in block.rows]
        else:
            lines.append(block)
        lines.append("")
    return "\n".join([*lines, "-- ", footer, ""])


def _html(language: str, greeting_line: str, blocks: Sequence[Block], footer: str) -> str:
    e = html.escape
    parts = [f"<p>{e(greeting_line)}</p>"]
    for block in blocks:
        if isinstance(block, Code):
            parts.append(
                "<p style='font-family:monospace;font-size:1.6em;letter-spacing:0.1em'>"
                f"<strong>{e(block.shown)}</strong></p>"
            )
        elif isinstance(block, Facts):
            rows = "".join(
                f"<tr><th align='left'>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in block.rows
            )
            parts.append(f"<table cellpadding='4'>{rows}</table>")
        else:
            parts.append(f"<p>{e(block)}</p>")
    body = "".join(parts)
    return f"<!doctype html><html lang='{language}'><body>{body}<p style='color:#666'>{e(footer)}</p></body></html>"
