"""Reading the mails the sidecar sends: their text, the code in them, and the codes' age in the store."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import create_engine, select, update

from mfa_recovery.store.tables import email_challenges

# The code stands on a line of its own, as two groups of four digits.
CODE_LINE = re.compile(r"^\s*(\d{4}) (\d{4})\s*$", re.MULTILINE)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the mail has no text part"
    return body.get_content()


def code_in(message: EmailMessage) -> str:
    """The 8-digit code of a code mail, without its space."""
    found = CODE_LINE.search(text_of(message))
    assert found, f"no code in the mail: {text_of(message)[:400]}"
    return found.group(1) + found.group(2)


def age_email_codes(database_url: str, user_id: str, seconds: int) -> None:
    """Move the user's emailed codes ``seconds`` into the past, as if that time had gone by (the sidecar runs
    in its own process on the real clock, so a test cannot wait 10 minutes or an hour)."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(select(email_challenges).where(email_challenges.c.user_id == user_id)).all()
            for row in rows:
                conn.execute(
                    update(email_challenges)
                    .where(email_challenges.c.id == row.id)
                    .values(
                        created_at=row.created_at - timedelta(seconds=seconds),
                        expires_at=row.expires_at - timedelta(seconds=seconds),
                    )
                )
    finally:
        engine.dispose()
