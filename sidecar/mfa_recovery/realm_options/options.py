"""The realm options value object and its validation (no storage, no HTTP)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

CODE_COUNT_MIN = 5
CODE_COUNT_MAX = 20
DEFAULT_CODE_COUNT = 10
DEFAULT_WARNING_THRESHOLD = 3
SETUP_PROMPTS = ("off", "offered", "required")
DEFAULT_SETUP_PROMPT = "offered"
DEFAULT_SUPERVISOR_ATTRIBUTE = "supervisor"
# A Keycloak user attribute name; empty switches the supervisor lookup off.
SUPERVISOR_ATTRIBUTE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{0,64}")


class InvalidRealmOptions(ValueError):
    """A value is outside its range; the message says which and why, in words for an operator."""


@dataclass(frozen=True)
class RealmOptions:
    realm: str
    code_count: int = DEFAULT_CODE_COUNT
    warning_threshold: int = DEFAULT_WARNING_THRESHOLD
    setup_prompt: str = DEFAULT_SETUP_PROMPT
    reenrol_otp_after_recovery: bool = False
    email_method_enabled: bool = True  # sign-in with a code sent to a verified backup email address
    reenrol_otp_after_email_recovery: bool = True
    supervisor_attribute: str = DEFAULT_SUPERVISOR_ATTRIBUTE  # "" = no supervisor lookup
    desk_four_eyes: bool = False  # a recovery desk approval needs two different operators
    updated_at: datetime | None = None  # None: defaults, the realm has no saved options
    updated_by: str | None = None

    @property
    def is_default(self) -> bool:
        return self.updated_at is None

    def validate(self) -> RealmOptions:
        if isinstance(self.code_count, bool) or not CODE_COUNT_MIN <= self.code_count <= CODE_COUNT_MAX:
            raise InvalidRealmOptions(
                f"code count must be between {CODE_COUNT_MIN} and {CODE_COUNT_MAX}, got {self.code_count}"
            )
        if isinstance(self.warning_threshold, bool) or not 0 <= self.warning_threshold < self.code_count:
            raise InvalidRealmOptions(
                f"warning threshold must be between 0 and {self.code_count - 1} (below the code count "
                f"{self.code_count}), got {self.warning_threshold}"
            )
        if self.setup_prompt not in SETUP_PROMPTS:
            raise InvalidRealmOptions(
                f"setup prompt must be one of {', '.join(SETUP_PROMPTS)}, got {self.setup_prompt!r}"
            )
        for name in (
            "reenrol_otp_after_recovery",
            "email_method_enabled",
            "reenrol_otp_after_email_recovery",
            "desk_four_eyes",
        ):
            if not isinstance(getattr(self, name), bool):
                raise InvalidRealmOptions(f"{name.replace('_', ' ')} must be true or false")
        attribute = self.supervisor_attribute
        if not isinstance(attribute, str) or not SUPERVISOR_ATTRIBUTE_PATTERN.fullmatch(attribute):
            raise InvalidRealmOptions(
                "supervisor attribute must be at most 64 letters, digits, '_', '.' or '-' (empty: no lookup), "
                f"got {attribute!r}"
            )
        return self

    def with_changes(self, **changes: Any) -> RealmOptions:
        """A copy with ``changes`` applied (``None`` values ignored), validated."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None}).validate()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code_count": self.code_count,
            "warning_threshold": self.warning_threshold,
            "setup_prompt": self.setup_prompt,
            "reenrol_otp_after_recovery": self.reenrol_otp_after_recovery,
            "email_method_enabled": self.email_method_enabled,
            "reenrol_otp_after_email_recovery": self.reenrol_otp_after_email_recovery,
            "supervisor_attribute": self.supervisor_attribute,
            "desk_four_eyes": self.desk_four_eyes,
        }
