"""Changes of several parts that must commit together, such as a used code and its audit row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import Connection, Engine


class Transaction(Protocol):
    """An open database transaction that its owner commits or rolls back; others only add to it."""

    @property
    def connection(self) -> Connection: ...


@contextmanager
def joined(engine: Engine, within: Transaction | None) -> Iterator[Connection]:
    """The connection of ``within`` (committed by its owner), or else a transaction of its own on ``engine``."""
    if within is not None:
        yield within.connection
        return
    with engine.begin() as conn:
        yield conn
