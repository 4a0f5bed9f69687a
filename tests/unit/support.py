"""Constants and helpers shared by the unit tests."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

BRIDGE_SECRET = "unit-test-bridge-secret-0123456789abcdef"
PEPPER = "unit-test-pepper-0123456789abcdef0123456"
REALM = "acme"
USER_ID = "9b1f0c1e-0000-4000-8000-000000000001"


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailSink:
    """aiosmtpd on 127.0.0.1: ``messages`` holds what arrived, parsed, with the envelope recipients."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._arrived = threading.Condition()
        self._controller: Controller | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
            self._arrived.notify_all()
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)
