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

Keyed rows. Since the audit key exists (``MFA_RECOVERY_AUDIT_KEY``, apart from the code pepper), every new row is
hashed with ``hmac_sha256(key, same bytes)`` and says so (``hash_scheme`` = :data:`KEYED`); rows from before keep
their plain links (``hash_scheme`` NULL). Once a keyed row appears, every later row must be keyed.

What the chain proves, against whom:

- someone who can write the database but does not hold the audit key cannot change, remove or insert any keyed
  row without the break being found: they cannot compute a keyed hash, and a plain row after a keyed one is itself
  a break;
- nobody can cut rows off the end, or (with the key, or for the plain rows from before the key) rewrite the chain
  from some row on, without changing the **head** (the last row's id and hash). Keep the head outside the database
  (``mfa-recovery audit verify`` prints it; the admin API shows it); ``audit verify --expect-head ID:HASH`` checks
  that the chain still runs through it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row."""

KEYED = "hmac-sha256"
"""The ``hash_scheme`` of a row hashed with the audit key."""

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
UNKEYED = "unkeyed"  # a plain row after a keyed one: written by someone without the audit key
NOT_THE_HEAD = "not_the_head"  # the chain no longer runs through the head kept elsewhere
CUT = "cut"  # the chain ends before the head kept elsewhere: events were removed from its end


@dataclass(frozen=True)
class Head:
    """The last row's id and hash, as an operator keeps it outside the database (``ID:HASH``)."""

    id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.id}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """``ID:HASH``; raises ``ValueError`` saying what is wrong."""
        number, _, digest = text.strip().partition(":")
        if not number.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"a head is ID:HASH (a number, a colon, 64 lowercase hex digits), got {text!r}")
        return cls(int(number), digest)


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


def chain_hash(prev_hash: str | None, row: Mapping[str, Any], key: bytes | None = None) -> str:
    """The hash of ``row`` chained onto ``prev_hash`` (None only behind a row that has no hash itself): keyed with
    ``key`` (HMAC-SHA256), or plain SHA-256 for the rows from before the audit key."""
    data = (prev_hash or "").encode("ascii") + canonical_json(row).encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


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


def verify_chain(rows: Iterable[Mapping[str, Any]], key: bytes, expect_head: Head | None = None) -> VerifyResult:
    """Check ``rows`` (in id order, each with the :data:`HASHED_FIELDS`, ``prev_hash``, ``hash`` and
    ``hash_scheme``) with the audit ``key``, and that the chain still runs through ``expect_head``; stop at the
    first break."""
    checked = 0
    previous: Mapping[str, Any] | None = None
    keyed_seen = False
    for row in rows:
        keyed = row.get("hash_scheme") == KEYED
        if keyed_seen and not keyed and row["hash"] is not None:
            return _result(checked, previous, ChainBreak(
                row["id"], UNKEYED, f"event {row['id']} is not keyed although events before it are: it was written "
                "by someone without the audit key",
            ))  # fmt: skip
        keyed_seen = keyed_seen or keyed
        broken = _check(row, previous, key if keyed else None) or _off_head(row, expect_head)
        if broken is not None:
            return _result(checked, previous, broken)
        checked += 1
        previous = row
    if expect_head is not None and (previous is None or previous["id"] < expect_head.id):
        return _result(checked, previous, ChainBreak(
            expect_head.id, CUT, f"the chain ends before event {expect_head.id}, the head kept elsewhere: events "
            "were removed from its end",
        ))  # fmt: skip
    return _result(checked, previous, None)


def _off_head(row: Mapping[str, Any], head: Head | None) -> ChainBreak | None:
    if head is None or row["id"] != head.id or hmac.compare_digest(row["hash"], head.hash):
        return None
    return ChainBreak(
        row["id"], NOT_THE_HEAD, f"event {row['id']} is not the head kept elsewhere: the chain was rewritten up to it"
    )


def _result(checked: int, last: Mapping[str, Any] | None, broken: ChainBreak | None) -> VerifyResult:
    if last is None:
        return VerifyResult(checked, None, None, broken)
    return VerifyResult(checked, last["id"], last["hash"], broken)


def _check(row: Mapping[str, Any], previous: Mapping[str, Any] | None, key: bytes | None) -> ChainBreak | None:
    row_id = row["id"]
    if row["hash"] is None:
        return ChainBreak(row_id, UNCHAINED, f"event {row_id} has no hash: it was written outside the chain")
    if not hmac.compare_digest(chain_hash(row["prev_hash"], row, key), row["hash"]):
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
