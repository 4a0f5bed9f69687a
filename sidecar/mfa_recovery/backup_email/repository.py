"""What the backup email needs from storage (:class:`BackupEmailRepository`): the verified addresses and the mailed
codes; and its SQL implementation."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, Connection, Engine, delete, insert, select, update

from ..store.tables import backup_emails, email_challenges
from ..store.times import aware
from ..store.transactions import Transaction, joined
from ..store.upsert import upsert

SIGN_IN = "sign_in"  # a code to sign in with, sent to the verified backup address
VERIFY_ADDRESS = "verify_address"  # a code that proves a new backup address, sent to that address

_c = email_challenges.c


@dataclass(frozen=True)
class BackupEmail:
    address: str
    verified_at: datetime


@dataclass(frozen=True)
class RemovedBackupEmail:
    address: str | None  # the address removed; None when the user had none
    codes_ended: int


@dataclass(frozen=True)
class Challenge:
    id: int
    purpose: str
    address: str
    code_lookup: str
    created_at: datetime
    expires_at: datetime
    failed_attempts: int


class BackupEmailRepository(Protocol):
    """The users' verified backup addresses and the codes mailed to them (stored as a keyed hash only). Every method
    is one transaction of its own, unless ``within`` names an open one it joins (then it commits or rolls back with
    that one). ``max_wrong``: the wrong tries after which a code is dead."""

    def backup_email(self, realm: str, user_id: str) -> BackupEmail | None:
        """The user's verified backup address."""

    def backup_emails_for_users(self, realm: str, user_ids: Collection[str]) -> dict[str, BackupEmail]:
        """:meth:`backup_email` of many users in one query; users without an address are left out."""

    def remove(self, realm: str, user_id: str, now: datetime) -> RemovedBackupEmail:
        """In one transaction: delete the user's backup address and end every live code of the user (sign-in codes
        sent to it, and the code that would verify an address still waiting)."""

    def waiting_addresses_for_users(
        self, realm: str, user_ids: Collection[str], now: datetime, max_wrong: int
    ) -> dict[str, str]:
        """Per user, the address still waiting for verification (of the newest live ``verify_address`` code), in
        one query; users with none are left out."""

    def sent_since(self, realm: str, user_id: str, since: datetime) -> list[tuple[str, datetime]]:
        """(purpose, created_at) of the user's codes made after ``since``, oldest first."""

    def add_challenge(
        self,
        realm: str,
        user_id: str,
        purpose: str,
        address: str,
        code_lookup: str,
        now: datetime,
        expires_at: datetime,
        forget_before: datetime,
    ) -> None:
        """In one transaction: end the user's live code of ``purpose`` (the new one replaces it), store the new
        one, and delete everyone's codes made before ``forget_before`` (expired and out of every window)."""

    def live_challenge(self, realm: str, user_id: str, purpose: str, now: datetime, max_wrong: int) -> Challenge | None:
        """The user's newest code of ``purpose`` that is unused, unexpired and has tries left."""

    def count_wrong(self, challenge_id: int, within: Transaction | None = None) -> int:
        """Count one wrong try against the code, atomically (concurrent tries are all counted); returns its wrong
        tries so far, this one included."""

    def consume(self, challenge_id: int, now: datetime, max_wrong: int, within: Transaction | None = None) -> bool:
        """Mark the code used if it is still live: True for exactly one caller, however many try at once."""

    def consume_as_backup_address(
        self, challenge_id: int, realm: str, user_id: str, address: str, now: datetime, max_wrong: int
    ) -> bool:
        """In one transaction: use the code (as :meth:`consume`), make ``address`` the user's verified backup
        address (replacing any earlier one), and end the live sign-in codes that went to the earlier address.
        False, and nothing changed, when the code was no longer live."""


class SqlBackupEmailRepository:
    """:class:`BackupEmailRepository` in the tables ``backup_emails`` and ``email_challenges``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- the verified address ----------------------------------------------------------------------------------

    def backup_email(self, realm: str, user_id: str) -> BackupEmail | None:
        query = select(backup_emails.c.address, backup_emails.c.verified_at).where(
            backup_emails.c.realm == realm, backup_emails.c.user_id == user_id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else BackupEmail(address=row.address, verified_at=row.verified_at)

    def backup_emails_for_users(self, realm: str, user_ids: Collection[str]) -> dict[str, BackupEmail]:
        if not user_ids:
            return {}
        query = select(backup_emails.c.user_id, backup_emails.c.address, backup_emails.c.verified_at).where(
            backup_emails.c.realm == realm, backup_emails.c.user_id.in_(list(user_ids))
        )
        with self._engine.connect() as conn:
            return {
                row.user_id: BackupEmail(address=row.address, verified_at=row.verified_at)
                for row in conn.execute(query)
            }

    def remove(self, realm: str, user_id: str, now: datetime) -> RemovedBackupEmail:
        mine = (backup_emails.c.realm == realm, backup_emails.c.user_id == user_id)
        with self._engine.begin() as conn:
            address = conn.execute(select(backup_emails.c.address).where(*mine)).scalar()
            conn.execute(delete(backup_emails).where(*mine))
            ended = conn.execute(
                update(email_challenges)
                .where(_c.realm == realm, _c.user_id == user_id, _c.consumed_at.is_(None), _c.expires_at > now)
                .values(expires_at=now)
            ).rowcount
        return RemovedBackupEmail(address=address, codes_ended=int(ended))

    # -- codes -------------------------------------------------------------------------------------------------

    def waiting_addresses_for_users(
        self, realm: str, user_ids: Collection[str], now: datetime, max_wrong: int
    ) -> dict[str, str]:
        if not user_ids:
            return {}
        query = (
            select(_c.user_id, _c.address)
            .where(
                _c.realm == realm, _c.user_id.in_(list(user_ids)), _c.purpose == VERIFY_ADDRESS, *_live(now, max_wrong)
            )
            .order_by(_c.created_at, _c.id)
        )
        with self._engine.connect() as conn:
            return {row.user_id: row.address for row in conn.execute(query)}  # the newest comes last and wins

    def sent_since(self, realm: str, user_id: str, since: datetime) -> list[tuple[str, datetime]]:
        query = (
            select(_c.purpose, _c.created_at)
            .where(_c.realm == realm, _c.user_id == user_id, _c.created_at > since)
            .order_by(_c.created_at, _c.id)
        )
        with self._engine.connect() as conn:
            return [(row.purpose, aware(row.created_at, since)) for row in conn.execute(query)]

    def add_challenge(
        self,
        realm: str,
        user_id: str,
        purpose: str,
        address: str,
        code_lookup: str,
        now: datetime,
        expires_at: datetime,
        forget_before: datetime,
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(email_challenges)
                .where(*_mine(realm, user_id, purpose), _c.consumed_at.is_(None), _c.expires_at > now)
                .values(expires_at=now)
            )
            conn.execute(
                insert(email_challenges).values(
                    realm=realm,
                    user_id=user_id,
                    purpose=purpose,
                    address=address,
                    code_lookup=code_lookup,
                    created_at=now,
                    expires_at=expires_at,
                    failed_attempts=0,
                    consumed_at=None,
                )
            )
            conn.execute(delete(email_challenges).where(_c.created_at < forget_before))

    def live_challenge(self, realm: str, user_id: str, purpose: str, now: datetime, max_wrong: int) -> Challenge | None:
        query = (
            select(email_challenges)
            .where(*_mine(realm, user_id, purpose), *_live(now, max_wrong))
            .order_by(_c.created_at.desc(), _c.id.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Challenge(
            id=row.id,
            purpose=row.purpose,
            address=row.address,
            code_lookup=row.code_lookup,
            created_at=aware(row.created_at, now),
            expires_at=aware(row.expires_at, now),
            failed_attempts=row.failed_attempts,
        )

    def count_wrong(self, challenge_id: int, within: Transaction | None = None) -> int:
        key = _c.id == challenge_id
        with joined(self._engine, within) as conn:
            conn.execute(update(email_challenges).where(key).values(failed_attempts=_c.failed_attempts + 1))
            # This transaction holds the row's write lock, so it reads its own increment.
            return int(conn.execute(select(_c.failed_attempts).where(key)).scalar_one())

    def consume(self, challenge_id: int, now: datetime, max_wrong: int, within: Transaction | None = None) -> bool:
        with joined(self._engine, within) as conn:
            return self._consume(conn, challenge_id, now, max_wrong)

    def consume_as_backup_address(
        self, challenge_id: int, realm: str, user_id: str, address: str, now: datetime, max_wrong: int
    ) -> bool:
        with self._engine.begin() as conn:
            if not self._consume(conn, challenge_id, now, max_wrong):
                return False
            values = {"realm": realm, "user_id": user_id, "address": address, "verified_at": now, "updated_at": now}
            upsert(conn, backup_emails, values, keys=("realm", "user_id"))
            conn.execute(
                update(email_challenges)
                .where(*_mine(realm, user_id, SIGN_IN), *_live(now, max_wrong))
                .values(expires_at=now)
            )
        return True

    @staticmethod
    def _consume(conn: Connection, challenge_id: int, now: datetime, max_wrong: int) -> bool:
        # One conditional UPDATE: the database serialises concurrent writers, and only the first one still finds
        # the code live (SQLite: one writer at a time; PostgreSQL: row lock and re-check of the condition).
        statement = (
            update(email_challenges).where(_c.id == challenge_id, *_live(now, max_wrong)).values(consumed_at=now)
        )
        return conn.execute(statement).rowcount == 1


def _mine(realm: str, user_id: str, purpose: str) -> tuple[ColumnElement[bool], ...]:
    return (_c.realm == realm, _c.user_id == user_id, _c.purpose == purpose)


def _live(now: datetime, max_wrong: int) -> tuple[ColumnElement[bool], ...]:
    return (_c.consumed_at.is_(None), _c.expires_at > now, _c.failed_attempts < max_wrong)
