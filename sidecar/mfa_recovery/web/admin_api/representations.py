"""The admin API's JSON shapes (docs/architecture.md, "Admin API"; ``openapi/admin-v1.yaml``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ...admin.employees import Employee, EmployeeDetail, EmployeePage
from ...admin.policy import PolicyState
from ...admin.trail import AuditPage
from ...audit.log import AuditEvent
from ...desk.decisions import CaseView, Decision, OpenCase, RealmAdministrator
from ...desk.repository import Case

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


# -- recovery desk -------------------------------------------------------------------------------------------------


def desk_case_summary(value: Case) -> dict[str, Any]:
    return {
        "case_number": value.case_number,
        "status": value.status,
        "realm": value.realm,
        "account": value.account,
        "organisation": value.organisation,
        "created_at": when(value.created_at),
        "account_lookup": value.account_lookup,
        "matched_user_id": value.matched_user_id,
    }


def desk_open_case(value: OpenCase) -> dict[str, Any]:
    return {**desk_case_summary(value.case), "age_seconds": value.age_seconds}


def desk_case(value: CaseView) -> dict[str, Any]:
    case = value.case
    return {
        **desk_case_summary(case),
        "phone": case.phone,
        "kvk_number": case.kvk_number,
        "language": case.language,
        "ip": case.ip,
        "user_agent": case.user_agent,
        "ocr_checked": case.ocr_checked,
        "decided_at": when(case.decided_at),
        "decided_by": case.decided_by,
        "decision_reason": case.decision_reason,
        "documents_deleted_at": when(case.documents_deleted_at),
        "four_eyes": value.four_eyes,
        "documents": [
            {
                "id": document.id,
                "kind": document.kind.value,
                "media_type": document.media_type,
                "size": document.size,
                "created_at": when(document.created_at),
            }
            for document in value.documents
        ],
        "approvals": [
            {"operator": a.operator, "user_id": a.user_id, "reason": a.reason, "approved_at": when(a.approved_at)}
            for a in value.approvals
        ],
        "notes": [{"operator": n.operator, "text": n.text, "created_at": when(n.created_at)} for n in value.notes],
    }


def desk_administrator(value: RealmAdministrator) -> dict[str, Any]:
    return {
        "id": value.id,
        "username": value.username,
        "email": value.email,
        "first_name": value.first_name,
        "last_name": value.last_name,
        "roles": list(value.roles),
        "matches_account": value.matches_account,
    }


def desk_decision(value: Decision) -> dict[str, Any]:
    detail = value.detail
    return {
        "result": value.result,
        "case": desk_case_summary(value.case),
        "reset": None
        if value.result != "approved"
        else {
            "otp_removed": detail.get("removed", 0),
            "backup_codes_revoked": detail.get("revoked", 0),
            "backup_email_removed": detail.get("backup_email_removed", False),
            "required_action_added": detail.get("required_action_added", False),
        },
    }
