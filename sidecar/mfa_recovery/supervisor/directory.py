"""What the supervisor feature needs from Keycloak (implemented by
:class:`mfa_recovery.keycloak.directory.KeycloakDirectory`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ..notifications.directory import UserContact


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    username: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    enabled: bool = True
    # Keycloak returns every attribute as a list of strings.
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """ "first last", else the username."""
        return " ".join(part.strip() for part in (self.first_name, self.last_name) if part and part.strip()) or (
            self.username
        )

    def contact(self) -> UserContact:
        """What a mail to the user needs: address, first name, and the ``locale`` attribute."""
        return UserContact(email=self.email, first_name=self.first_name, locale=self.attribute("locale"))

    def attribute(self, name: str) -> str | None:
        """The first non-blank value of the attribute ``name``, stripped."""
        return next((value.strip() for value in self.attributes.get(name, ()) if value.strip()), None)


class SupervisorDirectory(Protocol):
    def get_user(self, realm: str, user_id: str) -> DirectoryUser | None:
        """The user, or None when there is no such user. Raises ``DirectoryUnavailable``."""

    def find_user_by_username(self, realm: str, username: str) -> DirectoryUser | None:
        """The one user with exactly this username (Keycloak usernames ignore case), else None."""

    def find_user_by_email(self, realm: str, email: str) -> DirectoryUser | None:
        """The one user with exactly this email address (ignoring case), else None (none, or several)."""
