"""What every mail shares: languages, dates, greeting, the client facts, and the plain-text and HTML layout.

A mail's body is a list of blocks: a paragraph (``str``), a :class:`Code` on a line of its own, or
:class:`Facts` (a two-column table). The text part puts a blank line between blocks; the HTML part escapes
everything it is given.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"
MAX_USER_AGENT_SHOWN = 300

_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
}  # fmt: skip

COMMON = {
    "en": {
        "greeting": "Hello {name},",
        "greeting_anonymous": "Hello,",
        "when": "When",
        "ip": "IP address",
        "browser": "Browser",
        "unknown": "unknown",
        "if_you": "If this was you, you need not do anything.",
        "footer": "This message was sent automatically; replies are not read.",
    },
    "nl": {
        "greeting": "Beste {name},",
        "greeting_anonymous": "Beste,",
        "when": "Wanneer",
        "ip": "IP-adres",
        "browser": "Browser",
        "unknown": "onbekend",
        "if_you": "Was jij dit? Dan hoef je niets te doen.",
        "footer": "Dit bericht is automatisch verstuurd; antwoorden worden niet gelezen.",
    },
}


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


def language_of(locale: str | None) -> str:
    """``nl``, ``nl-NL``, ``nl_BE`` → ``nl``; anything unknown → English."""
    if not locale:
        return DEFAULT_LANGUAGE
    primary = locale.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def texts(table: Mapping[str, Mapping[str, str]], locale: str | None) -> tuple[str, dict[str, str]]:
    """The language for ``locale`` and the mail's own texts in it, on top of :data:`COMMON`."""
    language = language_of(locale)
    return language, {**COMMON[language], **table[language]}


def format_when(moment: datetime, language: str) -> str:
    """``25 November 2025, 14:03 UTC (2025-11-25T14:03:12Z)``."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    month = _MONTHS[language][utc.month - 1]
    iso = utc.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"{utc.day} {month} {utc.year}, {utc:%H:%M} UTC ({iso})"


def greeting(t: Mapping[str, str], first_name: str | None) -> str:
    name = (first_name or "").strip()
    return t["greeting"].format(name=name) if name else t["greeting_anonymous"]


def client_facts(t: Mapping[str, str], language: str, event: Occurrence) -> list[tuple[str, str]]:
    """When, from which IP address and with which browser, as Keycloak saw the request."""
    agent = (event.user_agent or "").strip()[:MAX_USER_AGENT_SHOWN]
    return [
        (t["when"], format_when(event.occurred_at, language)),
        (t["ip"], (event.ip or "").strip() or t["unknown"]),
        (t["browser"], agent or t["unknown"]),
    ]


def render(language: str, subject: str, greeting_line: str, blocks: Sequence[Block], footer: str) -> Mail:
    return Mail(
        subject=subject,
        text=_text(greeting_line, blocks, footer),
        html=_html(language, greeting_line, blocks, footer),
        language=language,
    )


def _text(greeting_line: str, blocks: Sequence[Block], footer: str) -> str:
    lines = [greeting_line, ""]
    for block in blocks:
        if isinstance(block, Code):
            lines.append(block.shown)
        elif isinstance(block, Facts):
            width = max(len(label) for label, _ in block.rows) + 2
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
