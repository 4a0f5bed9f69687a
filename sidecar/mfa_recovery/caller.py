"""Who is asking, as the bridge saw it: realm and user from the bridge token, client details from the body."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    realm: str
    user_id: str
    attempt: str | None = None  # the sign-in attempt: <root authentication session id>.<tab id>
    ip: str | None = None
    user_agent: str | None = None
