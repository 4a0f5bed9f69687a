"""The text of the notification mails, in English and Dutch (plain text and a simple HTML part)."""

from __future__ import annotations

import html
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

_TEXT = {
    "en": {
        "subject": "Signed in with a backup code",
        "greeting": "Hello {name},",
        "greeting_anonymous": "Hello,",
        "intro": "Someone signed in to your account (realm {realm}) with one of your backup codes.",
        "when": "When",
        "ip": "IP address",
        "browser": "Browser",
        "left": "Backup codes left",
        "unknown": "unknown",
        "if_you": "If this was you, you need not do anything.",
        "low": "You have few backup codes left: make a new set the next time you sign in.",
        "if_not": (
            "If this was not you, someone knows your password and one of your backup codes. "
            "Change your password at once, make a new set of backup codes (the old ones then stop working), "
            "and tell your supervisor or IT helpdesk."
        ),
        "footer": "This message was sent automatically; replies are not read.",
    },
    "nl": {
        "subject": "Ingelogd met een back-upcode",
        "greeting": "Beste {name},",
        "greeting_anonymous": "Beste,",
        "intro": "Er is ingelogd op je account (realm {realm}) met een van je back-upcodes.",
        "when": "Wanneer",
        "ip": "IP-adres",
        "browser": "Browser",
        "left": "Back-upcodes over",
        "unknown": "onbekend",
        "if_you": "Was jij dit? Dan hoef je niets te doen.",
        "low": "Je hebt nog maar weinig back-upcodes: maak een nieuwe set aan als je weer inlogt.",
        "if_not": (
            "Was jij dit niet? Dan kent iemand je wachtwoord en een van je back-upcodes. "
            "Wijzig meteen je wachtwoord, maak een nieuwe set back-upcodes aan (de oude werken dan niet meer) "
            "en meld het bij je leidinggevende of de IT-helpdesk."
        ),
        "footer": "Dit bericht is automatisch verstuurd; antwoorden worden niet gelezen.",
    },
}


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    language: str


def language_of(locale: str | None) -> str:
    """``nl``, ``nl-NL``, ``nl_BE`` → ``nl``; anything unknown → English."""
    if not locale:
        return DEFAULT_LANGUAGE
    primary = locale.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def format_when(moment: datetime, language: str) -> str:
    """``25 November 2025, 14:03 UTC (2025-11-25T14:03:12Z)``."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    month = _MONTHS[language][utc.month - 1]
    iso = utc.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"{utc.day} {month} {utc.year}, {utc:%H:%M} UTC ({iso})"


def backup_code_signin(
    *,
    locale: str | None,
    first_name: str | None,
    realm: str,
    occurred_at: datetime,
    ip: str | None,
    user_agent: str | None,
    codes_left: int | None,
    warning_threshold: int | None = None,
) -> Mail:
    language = language_of(locale)
    t = _TEXT[language]
    name = (first_name or "").strip()
    greeting = t["greeting"].format(name=name) if name else t["greeting_anonymous"]
    agent = (user_agent or "").strip()[:MAX_USER_AGENT_SHOWN]
    facts = [
        (t["when"], format_when(occurred_at, language)),
        (t["ip"], (ip or "").strip() or t["unknown"]),
        (t["browser"], agent or t["unknown"]),
        (t["left"], t["unknown"] if codes_left is None else str(codes_left)),
    ]
    advice = [t["if_you"]]
    if codes_left is not None and warning_threshold is not None and codes_left <= warning_threshold:
        advice.append(t["low"])
    advice.append(t["if_not"])

    width = max(len(label) for label, _ in facts) + 2
    text_lines = [greeting, "", t["intro"].format(realm=realm), ""]
    text_lines += [f"{label + ':':<{width}}{value}" for label, value in facts]
    text_lines += [""] + [line for paragraph in advice for line in (paragraph, "")] + ["-- ", t["footer"], ""]

    e = html.escape
    rows = "".join(f"<tr><th align='left'>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in facts)
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in advice)
    body = (
        f"<!doctype html><html lang='{language}'><body>"
        f"<p>{e(greeting)}</p><p>{e(t['intro'].format(realm=realm))}</p>"
        f"<table cellpadding='4'>{rows}</table>{paragraphs}"
        f"<p style='color:#666'>{e(t['footer'])}</p></body></html>"
    )
    return Mail(subject=t["subject"], text="\n".join(text_lines), html=body, language=language)
