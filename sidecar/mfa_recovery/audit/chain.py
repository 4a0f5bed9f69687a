"""The hash chain of the audit trail: what is hashed, and how a chain of rows is checked.

Each row of ``audit_events`` stores ``prev_hash`` (the ``hash`` of the row before it in id order; :data:`GENESIS`
for the first row) and ``hash``::

    hash = sha256(prev_hash.encode("ascii") + canonical_json(row).encode("utf-8")).hexdigest()

``canonical_json`` is ``json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` of the
fields in :data:`HASHED_FIELDS`, with ``occurred_at`` written as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (a naive
datetime, as SQLite returns it, is UTC) and ``detail`` as the JSON value stored (null when absent). ``id`` is
hashed too, so a row cannot be renumbered, and every row names its predecessor's hash, so a row cannot be removed
or slipped in without breaking the next link.

This format is a contract with every row already written: migration 0004 chained the rows that predate it with
these functions, and :func:`verify_chain` recomputes them. Changing it would make every stored hash "changed".

What the chain proves: a row changed, removed or inserted by someone who did not also recompute every later hash
is found. It holds no secret, so someone with write access to the database who rewrites the whole chain from the
changed row on, or removes rows from its end, is not found by the chain alone; note the last row's id and hash
(``mfa-recovery audit verify`` prints them) somewhere else to detect that too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row."""

HASHED_FIELDS = (
    "id",
    "occurred_at",
    "realm",
    "actor",
    "subject",
    "action",
    "outcome",
    "detail",
    "ip",
    "user_agent",
)

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# Kinds of break :func:`verify_chain` reports.
CHANGED = "changed"  # the row's contents do not give its stored hash
MISSING = "missing"  # rows before this one are gone (its prev_hash names a row that is not there)
OUT_OF_PLACE = "out_of_place"  # the row does not chain onto the row before it
UNCHAINED = "unchained"  # the row has no hash at all


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def canonical_json(row: Mapping[str, Any]) -> str:
    """The text that is hashed for ``row`` (a mapping with at least the :data:`HASHED_FIELDS`)."""
    fields = {name: row[name] for name in HASHED_FIELDS}
    fields["occurred_at"] = as_utc(row["occurred_at"]).strftime(TIMESTAMP_FORMAT)
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str | None, row: Mapping[str, Any]) -> str:
    """The hash of ``row`` chained onto ``prev_hash`` (None only behind a row that has no hash itself)."""
    data = (prev_hash or "").encode("ascii") + canonical_json(row).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first row at which the chain does not hold."""

    row_id: int
    kind: str  # CHANGED | MISSING | OUT_OF_PLACE | UNCHAINED
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    """``checked``: the rows found intact, from the first in id order (all of them when the chain holds).
    ``last_id``/``last_hash``: the last intact row (None for an empty trail)."""

    checked: int
    last_id: int | None
    last_hash: str | None
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def bad_id(self) -> int | None:
        return None if self.broken is None else self.broken.row_id


def verify_chain(rows: Iterable[Mapping[str, Any]]) -> VerifyResult:
    """Check ``rows`` (in id order, each with the :data:`HASHED_FIELDS`, ``prev_hash`` and ``hash``); stop at the
    first break."""
    checked = 0
    previous: Mapping[str, Any] | None = None
    for row in rows:
        broken = _check(row, previous)
        if broken is not None:
            return _result(checked, previous, broken)
        checked += 1
        previous = row
    return _result(checked, previous, None)


def _result(checked: int, last: Mapping[str, Any] | None, broken: ChainBreak | None) -> VerifyResult:
    if last is None:
        return VerifyResult(checked, None, None, broken)
    return VerifyResult(checked, last["id"], last["hash"], broken)


def _check(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> ChainBreak | None:
    row_id = row["id"]
    if row["hash"] is None:
        return ChainBreak(row_id, UNCHAINED, f"event {row_id} has no hash: it was written outside the chain")
    if chain_hash(row["prev_hash"], row) != row["hash"]:
        return ChainBreak(row_id, CHANGED, f"event {row_id} was changed: its contents no longer give its stored hash")
    if previous is None:
        if row["prev_hash"] != GENESIS:
            return ChainBreak(
                row_id, MISSING, f"event {row_id} is the first but does not start the chain: events before it are gone"
            )
        return None
    if row["prev_hash"] == previous["hash"]:
        return None
    # Ids are handed out without gaps since the chain exists (older rows may have gaps, which is harmless while
    # their links hold); a gap at a broken link says where the missing rows were.
    previous_id = previous["id"]
    if row_id > previous_id + 1:
        first_gone, last_gone = previous_id + 1, row_id - 1
        gone = f"event {first_gone} is" if first_gone == last_gone else f"events {first_gone}..{last_gone} are"
        return ChainBreak(
            row_id, MISSING, f"{gone} missing: event {row_id} chains onto an event that is no longer there"
        )
    return ChainBreak(
        row_id,
        OUT_OF_PLACE,
        f"event {row_id} does not chain onto event {previous_id} (its prev_hash is not that event's hash): it was"
        f" inserted out of place, or event {previous_id} was rewritten or put in place of a removed one",
    )
