"""The directory: Keycloak's users (and a realm's mail settings) as the sidecar looks them up.

:class:`Directory` is the one way the domain asks about users: :class:`mfa_recovery.keycloak.directory.
KeycloakDirectory` in production (Keycloak's admin REST API, as the sidecar's service account), a fake in the unit
tests. Every method raises :class:`mfa_recovery.admin.errors.KeycloakUnavailable` when Keycloak cannot answer (down,
unreachable, failing, or refusing the service account).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class UserContact:
    """What a mail to a user needs: address, first name, and the ``locale`` attribute."""

    email: str | None
    first_name: str | None
    locale: str | None


@dataclass(frozen=True)
class DirectoryUser:
    """A user of a realm as the directory gives it."""

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


class Directory(Protocol):
    """Keycloak's users as the sidecar looks them up. Each method raises ``KeycloakUnavailable`` when Keycloak
    cannot answer."""

    def get_user(self, realm: str, user_id: str) -> DirectoryUser | None:
        """The user, or None when there is no such user."""

    def find_user_by_username(self, realm: str, username: str) -> DirectoryUser | None:
        """The one user with exactly this username (Keycloak usernames ignore case), else None."""

    def find_user_by_email(self, realm: str, email: str) -> DirectoryUser | None:
        """The one user with exactly this email address (ignoring case), else None (none, or several)."""

    def find_user_id(self, realm: str, username: str) -> str | None:
        """The id of the user with exactly this username, else None."""

    def user_contact(self, realm: str, user_id: str) -> UserContact | None:
        """The user's address, first name and ``locale`` attribute; None when the user does not exist."""

    def realm_smtp(self, realm: str) -> Mapping[str, Any]:
        """The realm's ``smtpServer`` settings (Keycloak masks the password); empty when it has none."""
