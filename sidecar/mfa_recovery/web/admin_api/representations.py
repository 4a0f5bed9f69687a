"""The admin API's JSON shapes (docs/architecture.md, "Admin API"; ``openapi/admin-v1.yaml``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ...admin.employees import Employee, EmployeeDetail, EmployeePage
from ...admin.policy import PolicyState
from ...admin.trail import AuditPage
from ...audit.log import AuditEvent

T = TypeVar("T")


def when(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``; the store's naive datetimes are UTC."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.isoformat().replace("+00:00", "Z")


def employee(value: Employee) -> dict[str, Any]:
    mfa = value.mfa
    recovery = mfa.last_recovery
    return {
        "id": value.id,
        "username": value.username,
        "first_name": value.first_name,
        "last_name": value.last_name,
        "email": value.email,
        "enabled": value.enabled,
        "mfa": {
            "otp": mfa.otp,
            "backup_codes_remaining": mfa.backup_codes_remaining,
            "backup_email": {
                "set": mfa.backup_email.set,
                "verified": mfa.backup_email.verified,
                "address_hint": mfa.backup_email.address_hint,
            },
            "last_recovery": None
            if recovery is None
            else {"at": when(recovery.at), "action": recovery.action, "outcome": recovery.outcome},
        },
    }


def _page(name: str, items: Sequence[T], shape: Callable[[T], dict[str, Any]], page: Any) -> dict[str, Any]:
    """A page of ``items`` under ``name``, with the paging of ``page`` (``total``, ``first``, ``max``)."""
    return {name: [shape(item) for item in items], "total": page.total, "first": page.first, "max": page.max}


def employee_page(value: EmployeePage) -> dict[str, Any]:
    return _page("employees", value.employees, employee, value)


def employee_detail(value: EmployeeDetail) -> dict[str, Any]:
    return {
        **employee(value.employee),
        "required_actions": value.required_actions,
        "events": None if value.events is None else [event(item) for item in value.events],
    }


def event(value: AuditEvent) -> dict[str, Any]:
    return {
        "id": value.id,
        "occurred_at": when(value.occurred_at),
        "realm": value.realm,
        "actor": value.actor,
        "subject": value.subject,
        "action": value.action,
        "outcome": value.outcome,
        "detail": value.detail,
        "ip": value.ip,
        "user_agent": value.user_agent,
    }


def audit_page(value: AuditPage) -> dict[str, Any]:
    return {
        "events": [event(item) for item in value.events],
        "total": value.total,
        "first": value.first,
        "max": value.max,
    }


def policy(value: PolicyState) -> dict[str, Any]:
    snapshot = value.snapshot
    return {
        "force_mfa": value.force_mfa,
        "keycloak": value.keycloak.summary(),
        "snapshot": None if snapshot is None else {"taken_at": when(snapshot.taken_at), "taken_by": snapshot.taken_by},
    }
