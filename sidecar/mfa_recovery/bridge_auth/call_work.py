"""The unit of work of a bridge call: its writes and its token's ``jti`` in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..audit.log import AuditedTransaction, AuditLog
from .replay import StoreReplayGuard
from .tokens import InvalidBridgeToken, TokenUse


class CallWork:
    """A :class:`~..audit.log.UnitOfWork` that records the call's token first in its transaction: a replayed token
    rolls back everything the call would have written (:class:`InvalidBridgeToken`), so it changes nothing."""

    def __init__(self, audit: AuditLog, guard: StoreReplayGuard, use: TokenUse) -> None:
        self._audit = audit
        self._guard = guard
        self._use = use
        self._recorded = False

    @contextmanager
    def transaction(self) -> Iterator[AuditedTransaction]:
        with self._audit.transaction() as audited:
            if not self._recorded:
                self._record(audited)
            yield audited
        self._recorded = True

    def settle(self) -> None:
        """Use the token up in a transaction of its own when the call committed none (it was refused, or failed)."""
        if not self._recorded:
            self._record(None)
            self._recorded = True

    def _record(self, audited: AuditedTransaction | None) -> None:
        within = None if audited is None else audited.transaction
        if not self._guard.remember(self._use.jti, self._use.keep_until, within):
            raise InvalidBridgeToken("jti replayed")
