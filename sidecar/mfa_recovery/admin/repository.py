"""What the "force MFA" policy needs from storage (:class:`PolicySnapshotRepository`): what Keycloak's settings
were before the sidecar forced MFA in a realm; and its SQL implementation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, delete, select

from ..store.tables import policy_snapshots
from ..store.upsert import insert_if_missing


@dataclass(frozen=True)
class Snapshot:
    realm: str
    taken_at: datetime
    taken_by: str
    content: Mapping[str, Any]


class PolicySnapshotRepository(Protocol):
    """At most one snapshot per realm: taken when MFA is forced, deleted once it is restored."""

    def get(self, realm: str) -> Snapshot | None:
        """The realm's snapshot; None when none is kept."""

    def put_if_absent(self, realm: str, taken_at: datetime, taken_by: str, content: Mapping[str, Any]) -> bool:
        """Store the realm's snapshot unless one is stored already (a concurrent store is no error); True when the
        snapshot stored is this call's."""

    def delete(self, realm: str) -> None:
        """Forget the realm's snapshot."""


class SqlPolicySnapshotRepository:
    """:class:`PolicySnapshotRepository` in the ``policy_snapshots`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, realm: str) -> Snapshot | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(policy_snapshots).where(policy_snapshots.c.realm == realm)).first()
        if row is None:
            return None
        return Snapshot(realm=row.realm, taken_at=row.taken_at, taken_by=row.taken_by, content=row.snapshot or {})

    def put_if_absent(self, realm: str, taken_at: datetime, taken_by: str, content: Mapping[str, Any]) -> bool:
        values = {"realm": realm, "taken_at": taken_at, "taken_by": taken_by, "snapshot": dict(content)}
        with self._engine.begin() as conn:
            before = conn.execute(select(policy_snapshots.c.realm).where(policy_snapshots.c.realm == realm)).first()
            if before is not None:
                return False
            insert_if_missing(conn, policy_snapshots, values, keys=("realm",))
            stored = conn.execute(
                select(policy_snapshots.c.taken_by, policy_snapshots.c.snapshot).where(
                    policy_snapshots.c.realm == realm
                )
            ).first()
        return stored is not None and stored.taken_by == taken_by and stored.snapshot == values["snapshot"]

    def delete(self, realm: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(policy_snapshots).where(policy_snapshots.c.realm == realm))
