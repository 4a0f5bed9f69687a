"""Finding an employee's supervisor: the user attribute named by the realm option holds the supervisor's
username or email address."""

from __future__ import annotations

from dataclasses import dataclass

from ..admin.errors import KeycloakUnavailable
from ..directory import Directory, DirectoryUser

FOUND = "found"
# Why there is no usable supervisor (for the audit trail).
LOOKUP_OFF = "lookup_off"  # the realm's supervisor attribute is empty
NO_EMPLOYEE = "no_employee"
NO_ATTRIBUTE = "no_attribute"
NOT_FOUND = "not_found"
NO_ADDRESS = "no_address"
NOT_USABLE = "not_usable"  # disabled, or the employee themself
UNAVAILABLE = "unavailable"  # Keycloak could not answer


@dataclass(frozen=True)
class Lookup:
    reason: str
    employee: DirectoryUser | None = None
    supervisor: DirectoryUser | None = None

    @property
    def found(self) -> bool:
        return self.supervisor is not None


def find_supervisor(directory: Directory, realm: str, user_id: str, attribute: str) -> Lookup:
    """The supervisor named by the employee's ``attribute``: the user with exactly that username or, failing
    that and when it holds an "@", the one user with exactly that email address. Only a supervisor who can be
    mailed is of use; anything else is no supervisor."""
    if not attribute:
        return Lookup(LOOKUP_OFF)
    try:
        employee = directory.get_user(realm, user_id)
        if employee is None:
            return Lookup(NO_EMPLOYEE)
        reference = employee.attribute(attribute)
        if reference is None:
            return Lookup(NO_ATTRIBUTE, employee)
        supervisor = directory.find_user_by_username(realm, reference)
        if supervisor is None and "@" in reference:
            supervisor = directory.find_user_by_email(realm, reference)
    except KeycloakUnavailable:
        return Lookup(UNAVAILABLE)
    if supervisor is None:
        return Lookup(NOT_FOUND, employee)
    if not supervisor.enabled or supervisor.id == employee.id:
        return Lookup(NOT_USABLE, employee)
    if not supervisor.email:
        return Lookup(NO_ADDRESS, employee)
    return Lookup(FOUND, employee, supervisor)
