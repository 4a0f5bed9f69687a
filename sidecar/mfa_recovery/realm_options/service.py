"""Realm options use cases: read (with defaults for realms never configured) and change (audited)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..audit.log import Auditor
from .options import DEFAULT_WARNING_THRESHOLD, RealmOptions
from .repository import RealmOptionsRepository


@dataclass(frozen=True)
class Change:
    before: RealmOptions
    after: RealmOptions

    @property
    def changed(self) -> dict[str, list[Any]]:
        old, new = self.before.as_dict(), self.after.as_dict()
        return {name: [old[name], new[name]] for name in new if old[name] != new[name]}


class RealmOptionsService:
    def __init__(
        self,
        repository: RealmOptionsRepository,
        audit: Auditor,
        clock: Callable[[], datetime],
        default_code_count: int,
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._clock = clock
        self._default_code_count = default_code_count

    def defaults(self, realm: str) -> RealmOptions:
        threshold = min(DEFAULT_WARNING_THRESHOLD, self._default_code_count - 1)
        return RealmOptions(realm=realm, code_count=self._default_code_count, warning_threshold=threshold)

    def get(self, realm: str) -> RealmOptions:
        return self._repository.find(realm) or self.defaults(realm)

    def update(
        self,
        realm: str,
        actor: str,
        *,
        code_count: int | None = None,
        warning_threshold: int | None = None,
        setup_prompt: str | None = None,
        reenrol_otp_after_recovery: bool | None = None,
        email_method_enabled: bool | None = None,
        reenrol_otp_after_email_recovery: bool | None = None,
        supervisor_attribute: str | None = None,
        desk_four_eyes: bool | None = None,
    ) -> Change:
        """Apply the given changes (None = keep). Raises ``InvalidRealmOptions``; nothing is saved then."""
        before = self.get(realm)
        after = before.with_changes(
            code_count=code_count,
            warning_threshold=warning_threshold,
            setup_prompt=setup_prompt,
            reenrol_otp_after_recovery=reenrol_otp_after_recovery,
            email_method_enabled=email_method_enabled,
            reenrol_otp_after_email_recovery=reenrol_otp_after_email_recovery,
            supervisor_attribute=supervisor_attribute,
            desk_four_eyes=desk_four_eyes,
        )
        after = replace(after, updated_at=self._clock(), updated_by=actor)
        self._repository.save(after)
        change = Change(before, after)
        self._audit.record(
            realm=realm,
            actor=actor,
            subject=None,
            action="realm_options.update",
            outcome="ok",
            detail={"changed": change.changed, "options": after.as_dict()},
        )
        return change
