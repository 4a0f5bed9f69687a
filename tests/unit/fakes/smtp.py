"""SMTP's stand-in: a transport that keeps every message, and readers of what a mail says."""

from __future__ import annotations

import re
from email.message import EmailMessage

from mfa_recovery.notifications.smtp import SmtpConfig

CODE_LINE = re.compile(r"^(\d{4}) (\d{4})$", re.MULTILINE)


class FakeTransport:
    """Takes the place of SMTP: keeps every message; ``failure`` (an exception) makes the next sends fail."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.failure: BaseException | None = None

    def __call__(self, config: SmtpConfig, message: EmailMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.messages.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def last_code_to(self, address: str) -> str:
        """The 8 digits of the newest code mail to ``address``."""
        return code_in(self.to(address)[-1])


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")


def code_in(message: EmailMessage) -> str:
    found = CODE_LINE.search(text_of(message))
    assert found, text_of(message)
    return found.group(1) + found.group(2)
