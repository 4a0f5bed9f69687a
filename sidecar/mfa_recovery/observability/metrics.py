"""Prometheus metrics of the sidecar (prometheus-client).

One hook counts the domain: every audit event, once its transaction committed (:meth:`..audit.log.AuditedTransaction
.log_committed` calls :func:`count_audit_event`). The audit trail records every recovery attempt, mailed code,
notification and admin action, so no feature counts on its own and none can be forgotten. The labels are bounded:
an action outside the known families, or an outcome that is not a short lowercase word, is counted as ``other``
(both come from constants in the code, never from a request, but a label must never be able to grow unbounded).

The HTTP layer adds a latency histogram by route (Flask's URL rule, never the raw path), method and status class.
The outbox depth is read from the store at scrape time (:class:`OutboxCollector`).

Under gunicorn every worker is a process of its own: ``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at an emptied
directory under the data directory, each worker writes its values there, a scrape adds them up
(:func:`exposition`), and gunicorn's ``child_exit`` hook marks a dead worker (web/gunicorn_config.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
OTHER = "other"

# The families of audit actions (the part before the dot); anything else is "other".
ACTION_FAMILIES = frozenset(
    {
        "recovery",
        "backup_code",
        "backup_codes",
        "backup_email",
        "email_code",
        "supervisor",
        "notification",
        "realm_options",
        "admin",
        "admin_ui",
        "desk",
    }
)
_ACTION = re.compile(r"([a-z_]{1,32})\.[a-z_]{1,48}\Z")
_OUTCOME = re.compile(r"[a-z_]{1,24}\Z")

# A recovery sign-in attempt by method: the audit action that records it.
RECOVERY_METHODS = {
    "backup_code.verify": "backup_code",
    "email_code.verify": "email_code",
    "supervisor.notified": "supervisor",
}
# What administrators and recovery desk operators do (the desk's own purge and the employee's request are not).
ADMIN_FAMILIES = ("admin.", "admin_ui.", "realm_options.")
DESK_OPERATOR_ACTIONS = frozenset(
    {
        "desk.case_approved",
        "desk.case_rejected",
        "desk.approval_recorded",
        "desk.decision_refused",
        "desk.note_added",
        "desk.document_viewed",
    }
)

AUDIT_EVENTS = Counter(
    "mfa_recovery_audit_events", "Audit events recorded, by action and outcome.", ["action", "outcome"]
)
RECOVERY_ATTEMPTS = Counter(
    "mfa_recovery_recovery_attempts",
    "Recovery sign-in attempts (a backup code or a mailed code checked, the supervisor asked), by method and outcome.",
    ["method", "outcome"],
)
EMAIL_CODES_SENT = Counter(
    "mfa_recovery_email_codes_sent", "Requests to mail a sign-in code, by outcome (sent, cooldown, …).", ["outcome"]
)
NOTIFICATIONS_SENT = Counter("mfa_recovery_notifications_sent", "Notification mails delivered from the outbox.")
NOTIFICATION_FAILURES = Counter(
    "mfa_recovery_notification_failures",
    "Notification mails that failed: retry (will be tried again), given_up, not_queued.",
    ["outcome"],
)
ADMIN_ACTIONS = Counter(
    "mfa_recovery_admin_actions",
    "Actions of administrators and recovery desk operators, by action and outcome.",
    ["action", "outcome"],
)
REQUEST_DURATION = Histogram(
    "mfa_recovery_http_request_duration_seconds",
    "Time to answer a request, by route (the URL rule), method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def bounded_action(action: str) -> str:
    found = _ACTION.match(action)
    return action if found is not None and found.group(1) in ACTION_FAMILIES else OTHER


def bounded_outcome(outcome: str) -> str:
    return outcome if _OUTCOME.match(outcome) else OTHER


def count_audit_event(action: str, outcome: str) -> None:
    """Count one committed audit event in every metric it belongs to."""
    action = bounded_action(action)
    outcome = bounded_outcome(outcome)
    AUDIT_EVENTS.labels(action, outcome).inc()
    method = RECOVERY_METHODS.get(action)
    if method is not None:
        RECOVERY_ATTEMPTS.labels(method, outcome).inc()
    elif action == "email_code.sent":
        EMAIL_CODES_SENT.labels(outcome).inc()
    elif action == "notification.sent":
        NOTIFICATIONS_SENT.inc()
    elif action == "notification.failed":
        NOTIFICATION_FAILURES.labels(outcome).inc()
    elif action.startswith(ADMIN_FAMILIES) or action in DESK_OPERATOR_ACTIONS:
        ADMIN_ACTIONS.labels(action, outcome).inc()


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else OTHER


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """``route``: the matched URL rule (``/ui/realms/<realm>/employees/<user_id>``); None when nothing matched."""
    REQUEST_DURATION.labels(route or "unmatched", method if method in METHODS else OTHER, status_class(status)).observe(
        seconds
    )


class OutboxDepth(Protocol):
    def pending(self) -> int:
        """Notifications waiting to be sent."""


class OutboxCollector(Collector):
    """The outbox depth, read from the store when scraped (the same for every worker, so not a worker's value)."""

    def __init__(self, outbox: OutboxDepth) -> None:
        self._outbox = outbox

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("mfa_recovery_outbox_pending", "Notification mails waiting in the outbox.")
        try:
            depth.add_metric([], self._outbox.pending())
        except Exception:  # noqa: BLE001 - a store that does not answer shows as no sample, not a failed scrape
            return
        yield depth


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def exposition(collectors: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The text format of every metric (every worker's, in multiprocess mode) and the extra ``collectors``."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward(Collector):
    """This process's own metrics (the default registry), inside a registry of one scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


def mark_worker_dead(pid: int) -> None:
    """gunicorn's ``child_exit``: the dead worker's live values are dropped (its counters stay counted)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
