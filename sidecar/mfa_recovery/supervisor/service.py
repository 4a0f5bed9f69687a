""" "I have neither": who the supervisor is, and a notice to them (through the outbox) asking for help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from ..attempt_limits.attempts import SourceLimit
from ..attempt_limits.window import rolling_window_wait
from ..audit.log import Auditor, record_call
from ..caller import Caller, Profile
from ..directory import Directory
from ..notifications.outbox import SUPERVISOR_NOTICE, Outbox
from ..realm_options.service import RealmOptionsService
from .lookup import Lookup, find_supervisor

ACTOR = "bridge"
NOTICES_PER_WINDOW = 1  # per employee ...
NOTICE_WINDOW = timedelta(hours=1)  # ... in this rolling window

QUEUED = "queued"
RATE_LIMITED = "rate_limited"
NO_SUPERVISOR = "no_supervisor"


@dataclass(frozen=True)
class SupervisorInfo:
    name: str | None  # None: no usable supervisor
    can_notify: bool
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class Notice:
    result: str  # queued | rate_limited | no_supervisor
    supervisor_name: str | None = None
    retry_after_seconds: int | None = None


class SupervisorService:
    def __init__(
        self,
        directory: Directory,
        options: RealmOptionsService,
        outbox: Outbox,
        audit: Auditor,
        clock: Callable[[], datetime],
        employee_link: str,
        per_source: SourceLimit,
    ) -> None:
        """``employee_link``: a template with ``{realm}`` and ``{user_id}`` (settings.employee_link_template);
        ``per_source``: the notices one source address may ask for, across employees."""
        self._per_source = per_source
        self._directory = directory
        self._options = options
        self._outbox = outbox
        self._audit = audit
        self._clock = clock
        self._employee_link = employee_link

    def info(self, caller: Caller) -> SupervisorInfo:
        found = self._lookup(caller)
        if found.supervisor is None:
            return SupervisorInfo(name=None, can_notify=False)
        wait = self._wait(caller)
        return SupervisorInfo(name=found.supervisor.display_name, can_notify=wait is None, retry_after_seconds=wait)

    def notify(self, caller: Caller, profile: Profile) -> Notice:
        """Queue a notice to the supervisor: at most one per employee in :data:`NOTICE_WINDOW`."""
        wait = self._wait(caller)
        if wait is not None:
            return self._record(caller, Notice(RATE_LIMITED, retry_after_seconds=wait))
        found = self._lookup(caller)
        if found.supervisor is None:
            return self._record(caller, Notice(NO_SUPERVISOR))
        username = (found.employee.username if found.employee else None) or profile.username or caller.user_id
        employee_name = found.employee.display_name if found.employee else (profile.first_name or username)
        self._outbox.enqueue(
            realm=caller.realm,
            user_id=caller.user_id,
            kind=SUPERVISOR_NOTICE,
            occurred_at=self._clock(),
            ip=caller.ip,
            user_agent=caller.user_agent,
            detail={
                "supervisor_id": found.supervisor.id,
                "supervisor_name": found.supervisor.display_name,
                "employee_name": employee_name,
                "employee_username": username,
                "link": self.employee_link(caller.realm, caller.user_id),
            },
        )
        self._per_source.record(caller)
        return self._record(caller, Notice(QUEUED, supervisor_name=found.supervisor.display_name),
                            {"supervisor_id": found.supervisor.id})  # fmt: skip

    def employee_link(self, realm: str, user_id: str) -> str:
        return self._employee_link.format(realm=quote(realm, safe=""), user_id=quote(user_id, safe=""))

    def _wait(self, caller: Caller) -> int | None:
        """Seconds until this employee, from this address, may ask again; None when they may now."""
        now = self._clock()
        sent = self._outbox.queued_since(caller.realm, caller.user_id, SUPERVISOR_NOTICE, now - NOTICE_WINDOW)
        wait = rolling_window_wait(sent, NOTICES_PER_WINDOW, NOTICE_WINDOW, now)
        source = self._per_source.state(caller)
        return wait if wait is not None or not source.locked else source.retry_after_seconds

    def _lookup(self, caller: Caller) -> Lookup:
        attribute = self._options.get(caller.realm).supervisor_attribute
        found = find_supervisor(self._directory, caller.realm, caller.user_id, attribute)
        detail: dict[str, object] = {"attribute": attribute}
        if found.supervisor is not None:
            detail["supervisor_id"] = found.supervisor.id
        record_call(self._audit, caller, "supervisor.lookup", found.reason, detail, actor=ACTOR)
        return found

    def _record(self, caller: Caller, notice: Notice, extra: dict[str, object] | None = None) -> Notice:
        detail = {"retry_after_seconds": notice.retry_after_seconds, **(extra or {})}
        record_call(self._audit, caller, "supervisor.notified", notice.result, detail, actor=ACTOR)
        return notice
