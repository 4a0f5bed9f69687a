"""Changes of several repositories that must commit together, such as a used code and its audit row.

Whoever opens a :class:`Transaction` commits or rolls it back; domain code only hands it on to repositories
(their ``within`` parameter), whose changes then commit with it, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine


class Transaction(Protocol):
    """An open database transaction that its owner commits or rolls back; others only add to it."""

    @property
    def connection(self) -> Connection: ...


@dataclass(frozen=True)
class SqlTransaction:
    """The :class:`Transaction` open on ``connection``."""

    connection: Connection


@contextmanager
def joined(engine: Engine, within: Transaction | None) -> Iterator[Connection]:
    """The connection of ``within`` (committed by its owner), or else a transaction of its own on ``engine``."""
    if within is not None:
        yield within.connection
        return
    with engine.begin() as conn:
        yield conn


@contextmanager
def reading(engine: Engine, within: Transaction | None) -> Iterator[Connection]:
    """The connection of ``within``, or else one of ``engine`` for reads only (nothing to commit)."""
    if within is not None:
        yield within.connection
        return
    with engine.connect() as conn:
        yield conn
