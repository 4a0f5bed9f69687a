"""What the realm options need from storage (:class:`RealmOptionsRepository`), and its SQL implementation."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Engine, select

from ..store.tables import realm_options
from ..store.upsert import upsert
from .options import RealmOptions


class RealmOptionsRepository(Protocol):
    """The options saved per realm; a realm never configured has none."""

    def find(self, realm: str) -> RealmOptions | None:
        """The realm's saved options; None when none were saved."""

    def save(self, options: RealmOptions) -> None:
        """Save the realm's options, replacing any saved before."""


class SqlRealmOptionsRepository:
    """:class:`RealmOptionsRepository` in the ``realm_options`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find(self, realm: str) -> RealmOptions | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(realm_options).where(realm_options.c.realm == realm)).first()
        if row is None:
            return None
        return RealmOptions(
            realm=row.realm,
            code_count=row.code_count,
            warning_threshold=row.warning_threshold,
            setup_prompt=row.setup_prompt,
            reenrol_otp_after_recovery=bool(row.reenrol_otp_after_recovery),
            email_method_enabled=bool(row.email_method_enabled),
            reenrol_otp_after_email_recovery=bool(row.reenrol_otp_after_email_recovery),
            supervisor_attribute=row.supervisor_attribute,
            desk_four_eyes=bool(row.desk_four_eyes),
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )

    def save(self, options: RealmOptions) -> None:
        values = {"realm": options.realm, **options.as_dict()}
        values.update(updated_at=options.updated_at, updated_by=options.updated_by)
        with self._engine.begin() as conn:
            upsert(conn, realm_options, values, keys=("realm",))
