"""A local SMTP server (aiosmtpd) that keeps every message it receives, for tests that read the mail we send."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailSink:
    """aiosmtpd on 127.0.0.1: ``messages`` holds what arrived, parsed, and ``recipients`` the envelope recipients."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._arrived = threading.Condition()
        self._controller: Controller | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Listen (again: a stopped sink can be started anew, on the same port)."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """All messages once ``count`` have arrived (or what arrived when time is up)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def wait_for_mail_to(self, address: str, timeout: float = 15.0) -> EmailMessage:
        """The first message addressed to ``address``, waiting for it to arrive."""
        with self._arrived:
            found = self._arrived.wait_for(lambda: self._first_to(address), timeout)
        if found is None:
            raise AssertionError(f"no mail to {address} within {timeout} s")
        return found

    def wait_for_mails_to(self, address: str, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """The first ``count`` messages addressed to ``address``, in order of arrival."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._all_to(address)) >= count, timeout)
            found = self._all_to(address)
        if len(found) < count:
            raise AssertionError(f"{len(found)} mail(s) to {address} within {timeout} s, expected {count}")
        return found[:count]

    def wait_for_subject(self, address: str, subject: str, timeout: float = 15.0) -> EmailMessage:
        """The first message to ``address`` with this subject, waiting for it to arrive."""
        with self._arrived:
            self._arrived.wait_for(lambda: self._with_subject(address, subject), timeout)
            found = self._with_subject(address, subject)
        if not found:
            raise AssertionError(f"no mail to {address} with subject {subject!r} within {timeout} s")
        return found[0]

    def _with_subject(self, address: str, subject: str) -> list[EmailMessage]:
        return [message for message in self._all_to(address) if message["Subject"] == subject]

    def mails_to(self, address: str) -> list[EmailMessage]:
        with self._arrived:
            return self._all_to(address)

    def _all_to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in str(message["To"])]

    def _first_to(self, address: str) -> EmailMessage | None:
        return next((message for message in self.messages if address in str(message["To"])), None)
