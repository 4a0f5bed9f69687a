"""A local SMTP server (aiosmtpd) that keeps every message it receives, for tests that read the mail we send."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class MailSink:
    def __init__(self, port: int):
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, recipient: str, seconds: float = 15) -> EmailMessage:
        """The first message to ``recipient``, waiting for it to arrive."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.messages:
                    if recipient in str(message["To"]):
                        return message
            time.sleep(0.2)
        raise AssertionError(f"no mail to {recipient} within {seconds} s")

    def to(self, recipient: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message in self.messages if recipient in str(message["To"])]
