"""What the mailer and the sender need from Keycloak (implemented by
:class:`mfa_recovery.keycloak.directory.KeycloakDirectory`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class UserContact:
    email: str | None
    first_name: str | None
    locale: str | None


class SmtpSettingsSource(Protocol):
    def realm_smtp(self, realm: str) -> Mapping[str, Any]:
        """The realm's ``smtpServer`` settings (Keycloak masks the password). Raises ``DirectoryUnavailable``."""


class ContactDirectory(SmtpSettingsSource, Protocol):
    def user_contact(self, realm: str, user_id: str) -> UserContact | None:
        """The user's address, first name and ``locale`` attribute; None when the user does not exist.

        Raises ``DirectoryUnavailable`` when Keycloak cannot answer.
        """
