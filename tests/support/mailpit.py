"""A client for Mailpit's HTTP API, the mail catcher of the stack that ``scripts/stack.sh up`` starts: the same
reading methods as ``MailSink`` (``mails_to``, ``wait_for_mail_to``, ``wait_for_mails_to``, ``wait_for_subject``),
returning the raw messages parsed into ``EmailMessage`` objects, so ``tests/support/mail.py`` reads them alike.

Mailpit's API: ``GET /api/v1/messages`` (newest first), ``GET /api/v1/search?query=to:ADDRESS``,
``GET /api/v1/message/{ID}`` (one message as JSON), ``GET /api/v1/message/{ID}/raw`` (as received),
``DELETE /api/v1/messages`` (all)."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar

import requests

T = TypeVar("T")

PAGE = 500  # Mailpit keeps its newest 500 messages by default: one page holds them all


class Mailpit:
    """Mailpit's HTTP API at ``url`` (its web UI's address, e.g. ``http://127.0.0.1:8025``)."""

    def __init__(self, url: str, *, poll_interval: float = 0.25, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.poll_interval = poll_interval
        self.timeout = timeout  # of one HTTP request
        self._session = requests.Session()
        self._raw: dict[str, EmailMessage] = {}  # a message never changes: fetch each one once

    # -- the API, one call each --------------------------------------------------------------------------------

    def _get(self, path: str, **params: Any) -> requests.Response:
        response = self._session.get(f"{self.url}{path}", params=params or None, timeout=self.timeout)
        response.raise_for_status()
        return response

    def summaries(self, query: str | None = None) -> list[dict[str, Any]]:
        """Mailpit's summaries (``ID``, ``To``, ``Subject``, ``Created``, …), oldest first; ``query`` is a Mailpit
        search such as ``to:alice@acme.example``."""
        if query:
            found = self._get("/api/v1/search", query=query, limit=PAGE).json()
        else:
            found = self._get("/api/v1/messages", limit=PAGE).json()
        return list(reversed(found["messages"]))  # Mailpit lists the newest first

    def summary(self, message_id: str) -> dict[str, Any]:
        """One message as Mailpit parsed it: ``Text``, ``HTML``, ``To``, ``Subject``, …"""
        return self._get(f"/api/v1/message/{message_id}").json()

    def raw(self, message_id: str) -> EmailMessage:
        """The message as it was received, parsed."""
        if message_id not in self._raw:
            content = self._get(f"/api/v1/message/{message_id}/raw").content
            self._raw[message_id] = email.message_from_bytes(content, policy=email.policy.default)
        return self._raw[message_id]

    def delete_all(self) -> None:
        self._session.delete(f"{self.url}/api/v1/messages", timeout=self.timeout).raise_for_status()
        self._raw.clear()

    # -- what the tests read, as MailSink offers it ------------------------------------------------------------

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message Mailpit holds, oldest first."""
        return [self.raw(summary["ID"]) for summary in self.summaries()]

    def mails_to(self, address: str) -> list[EmailMessage]:
        """The messages with ``address`` among their To addresses, oldest first."""
        wanted = address.lower()
        return [
            self.raw(summary["ID"])
            for summary in self.summaries(f'to:"{address}"')
            if any((to.get("Address") or "").lower() == wanted for to in summary.get("To") or [])
        ]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """All messages once ``count`` have arrived (or what arrived when time is up)."""
        return self._poll(lambda: self.messages, lambda found: len(found) >= count, timeout)

    def wait_for_mail_to(self, address: str, timeout: float = 15.0) -> EmailMessage:
        """The first message addressed to ``address``, waiting for it to arrive."""
        return self.wait_for_mails_to(address, 1, timeout)[0]

    def wait_for_mails_to(self, address: str, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """The first ``count`` messages addressed to ``address``, in order of arrival."""
        found = self._poll(lambda: self.mails_to(address), lambda found: len(found) >= count, timeout)
        if len(found) < count:
            raise AssertionError(f"{len(found)} mail(s) to {address} in Mailpit within {timeout} s, expected {count}")
        return found[:count]

    def wait_for_subject(self, address: str, subject: str, timeout: float = 15.0) -> EmailMessage:
        """The first message to ``address`` with this subject, waiting for it to arrive."""
        found = self._poll(
            lambda: [message for message in self.mails_to(address) if message["Subject"] == subject],
            bool,
            timeout,
        )
        if not found:
            raise AssertionError(f"no mail to {address} with subject {subject!r} in Mailpit within {timeout} s")
        return found[0]

    def _poll(self, read: Callable[[], T], done: Callable[[T], bool], timeout: float) -> T:
        deadline = time.monotonic() + timeout
        while True:
            found = read()
            if done(found) or time.monotonic() >= deadline:
                return found
            time.sleep(self.poll_interval)
