"""Who is asking, as the bridge saw it: realm and user from the bridge token, client details and the user's
profile from the body."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    realm: str
    user_id: str
    attempt: str | None = None  # the sign-in attempt: <root authentication session id>.<tab id>
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Profile:
    """What Keycloak knows of the user and the locale of the page being shown; for the language and greeting of
    mails and to refuse a backup address equal to the primary one. Never decides who the user is."""

    username: str | None = None
    first_name: str | None = None
    email: str | None = None
    locale: str | None = None


NO_PROFILE = Profile()
