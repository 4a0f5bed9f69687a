"""Queueing a notice after something happened to the user's account."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..audit.log import Auditor, record_call
from ..caller import Caller
from ..store.transactions import Transaction
from .outbox import Outbox

logger = logging.getLogger(__name__)


def enqueue_notice(
    outbox: Outbox,
    clock: Callable[[], datetime],
    caller: Caller,
    kind: str,
    *,
    codes_left: int | None = None,
    detail: Mapping[str, Any] | None = None,
    within: Transaction | None = None,
) -> None:
    """Queue a mail of ``kind`` about ``caller``'s account, ``within`` the transaction of the event it reports (so
    that a notice that cannot be queued rolls the event back), or in one of its own."""
    outbox.enqueue(
        realm=caller.realm,
        user_id=caller.user_id,
        kind=kind,
        occurred_at=clock(),
        ip=caller.ip,
        user_agent=caller.user_agent,
        codes_left=codes_left,
        detail=detail,
        within=within,
    )


def queue_notice(
    outbox: Outbox,
    audit: Auditor,
    clock: Callable[[], datetime],
    caller: Caller,
    kind: str,
    *,
    codes_left: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Queue a mail of ``kind`` about ``caller``'s account after the event it reports was committed. A failure is
    logged and audited, never raised: the sign-in or change it reports has already happened."""
    try:
        enqueue_notice(outbox, clock, caller, kind, codes_left=codes_left, detail=detail)
    except Exception:
        logger.exception("cannot queue the %s notification for %s/%s", kind, caller.realm, caller.user_id)
        record_call(audit, caller, "notification.failed", "not_queued", {"kind": kind})
