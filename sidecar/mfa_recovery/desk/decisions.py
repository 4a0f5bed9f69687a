"""The operators' side of the recovery desk: open cases, a case with its documents, opening a document, notes, the
realm's administrators to match the requester against, and the decision (docs/desk.md, "Operators").

Who is an operator: the holder of an access token issued by the operator realm (``MFA_RECOVERY_DESK_OPERATOR_REALM``)
that carries its realm role ``MFA_RECOVERY_DESK_OPERATOR_ROLE``. Everything else is refused before a case is read.

Every Keycloak call is made with the operator's own token, so Keycloak's permissions decide: an operator who may not
manage users in the case's realm is refused there (403) and nothing changes, in Keycloak or in the sidecar.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import plain_text
from ..admin import inputs
from ..admin.errors import AdminError, Forbidden, InvalidInput, NotFound
from ..admin.identity import SUCCEEDED, AdminCall, Administrator
from ..admin.mfa_actions import MfaActions
from ..audit.log import AuditTransactions
from ..caller import Caller
from ..directory import Directory
from ..keycloak.access import KeycloakAccess
from ..keycloak.rest import KeycloakApi, Representation, may_manage
from ..notifications.notices import queue_notice
from ..notifications.outbox import DESK_APPROVED, DESK_REJECTED, Outbox
from ..realm_options.options import RealmOptions
from .case_numbers import normalise_case_number
from .intake import DocumentKind
from .purge import DeskPurge
from .repository import APPROVED, OPEN, REJECTED, Approval, Case, CaseDocument, DeskRepository, Note
from .vault import DocumentUnreadable, DocumentVault

logger = logging.getLogger(__name__)

DOCUMENT_VIEWED = "desk.document_viewed"
NOTE_ADDED = "desk.note_added"
APPROVAL_RECORDED = "desk.approval_recorded"
CASE_APPROVED = "desk.case_approved"
CASE_REJECTED = "desk.case_rejected"
DECISION_REFUSED = "desk.decision_refused"

MAX_NOTE_LENGTH = 2000
MAX_USER_ID_LENGTH = 255
# realm-management roles that make a user an administrator of the realm's users.
ADMIN_ROLES = ("realm-admin", "manage-users")
REALM_MANAGEMENT = "realm-management"
ROLE_PAGE = 100
MAX_ADMINISTRATORS = 1000


class CaseDecided(AdminError):
    """The case is decided already (or was decided while this decision was being made)."""

    status = 409
    error = "case_decided"


class AlreadyApproved(AdminError):
    """With four-eyes, the same operator approving twice: a second, different operator must approve."""

    status = 409
    error = "already_approved"


class NotAnOperator(Forbidden):
    """The caller is not an operator: no token of the operator realm, or no operator role in it."""


class OwnCase(Forbidden):
    """The case is about the operator's own account: another operator must decide it."""


class DeskOff(AdminError):
    """The desk has no document key, so no document can be opened."""

    status = 409
    error = "desk_off"


class DocumentUnavailable(AdminError):
    """The document's file is missing or does not decrypt (tampered, or another key)."""

    status = 500
    error = "document_unreadable"


@dataclass(frozen=True)
class OpenCase:
    case: Case
    age_seconds: int


@dataclass(frozen=True)
class CaseView:
    case: Case
    documents: list[CaseDocument]
    approvals: list[Approval]
    notes: list[Note]
    four_eyes: bool


@dataclass(frozen=True)
class OpenedDocument:
    document: CaseDocument
    content: bytes


@dataclass(frozen=True)
class RealmAdministrator:
    id: str
    username: str
    email: str | None
    first_name: str | None
    last_name: str | None
    roles: tuple[str, ...]
    matches_account: bool


@dataclass(frozen=True)
class Decision:
    """What an approval or rejection did: ``result`` ``approved``, ``rejected`` or ``approval_recorded`` (four-eyes:
    the first of two approvals)."""

    result: str
    case: Case
    detail: dict[str, Any]


class DeskDecisions:
    def __init__(
        self,
        repository: DeskRepository,
        vault: DocumentVault | None,
        purge: DeskPurge,
        keycloak: KeycloakAccess,
        mfa_actions: MfaActions,
        realm_options: Callable[[str], RealmOptions],
        directory: Directory,
        outbox: Outbox,
        audit: AuditTransactions,
        clock: Callable[[], datetime],
        *,
        operator_realm: str,
        operator_role: str,
    ) -> None:
        """``vault``: None while the desk is off (no document key). ``realm_options``: a realm's options (for
        ``desk_four_eyes``)."""
        self._repository = repository
        self._vault = vault
        self._purge = purge
        self._keycloak = keycloak
        self._mfa_actions = mfa_actions
        self._realm_options = realm_options
        self._directory = directory
        self._outbox = outbox
        self._audit = audit
        self._clock = clock
        self.operator_realm = operator_realm
        self.operator_role = operator_role

    # -- who may -------------------------------------------------------------------------------------------------

    def is_operator(self, administrator: Administrator) -> bool:
        """Whether the verified token is an operator's: issued by the operator realm, with the operator role."""
        return administrator.realm == self.operator_realm and self.operator_role in administrator.realm_roles

    def check_operator(self, call: AdminCall) -> None:
        """Refuse (403) anyone but an operator."""
        if not self.is_operator(call.administrator):
            raise NotAnOperator(
                f"the recovery desk is for holders of the realm role {self.operator_role!r} of realm "
                f"{self.operator_realm!r}, signed in there"
            )

    # -- reading -------------------------------------------------------------------------------------------------

    def open_cases(self, call: AdminCall) -> list[OpenCase]:
        """Open cases, oldest first, with their age."""
        self.check_operator(call)
        now = self._clock()
        return [
            OpenCase(case, max(0, int((now - case.created_at).total_seconds())))
            for case in self._repository.open_cases()
        ]

    def case(self, call: AdminCall, case_number: str) -> CaseView:
        self.check_operator(call)
        case = self._find(case_number)
        return CaseView(
            case=case,
            documents=self._repository.documents(case.id),
            approvals=self._repository.approvals(case.id),
            notes=self._repository.notes(case.id),
            four_eyes=self._realm_options(case.realm).desk_four_eyes,
        )

    def open_document(self, call: AdminCall, case_number: str, document_id: str) -> OpenedDocument:
        """The document's content, decrypted; every view is audited (``desk.document_viewed``)."""
        self.check_operator(call)
        case = self._find(case_number)
        document = next((d for d in self._repository.documents(case.id) if d.id == document_id), None)
        if document is None:
            raise NotFound("the case has no such document (documents are deleted once the case is decided)")
        if self._vault is None:
            raise DeskOff("the recovery desk is off (no document key), so its documents cannot be opened")
        try:
            content = self._vault.open(case.id, document.id, document.kind, document.file_name)
        except (DocumentUnreadable, OSError) as exc:
            logger.error("desk: case %s: document %s cannot be opened: %s", case.case_number, document.id, exc)
            call.record(
                self._audit, case.realm, case.matched_user_id, DOCUMENT_VIEWED, "unreadable", _view(case, document)
            )
            raise DocumentUnavailable("the document cannot be read (missing, or changed since it was filed)") from None
        call.record(self._audit, case.realm, case.matched_user_id, DOCUMENT_VIEWED, "viewed", _view(case, document))
        return OpenedDocument(document, content)

    def administrators(self, call: AdminCall, case_number: str) -> list[RealmAdministrator]:
        """The users of the case's realm holding ``realm-admin`` or ``manage-users`` of ``realm-management``
        directly, as the operator's token may see them; each says whether it matches the account as typed."""
        self.check_operator(call)
        case = self._find(case_number)
        keycloak = self._keycloak.as_admin(call.administrator)
        client = keycloak.client_uuid(case.realm, REALM_MANAGEMENT)
        if client is None:
            return []
        found: dict[str, tuple[Representation, list[str]]] = {}
        for role in ADMIN_ROLES:
            for user in _role_users(keycloak, case.realm, client, role):
                user_id = user.get("id")
                if isinstance(user_id, str):
                    found.setdefault(user_id, (user, []))[1].append(role)
        account = case.account.casefold()
        return sorted(
            (_administrator(user, roles, account, case.matched_user_id) for user, roles in found.values()),
            key=lambda admin: (not admin.matches_account, admin.username.casefold()),
        )

    # -- notes ---------------------------------------------------------------------------------------------------

    def add_note(self, call: AdminCall, case_number: str, text: Any) -> Note:
        """A note on the case (what the call back found). Audited without its text: the trail is kept for good and
        a note may hold a phone number or what the requester said, which go with the case after its retention."""
        self.check_operator(call)
        note_text = _note(text)
        case = self._find(case_number)
        note = Note(
            id=secrets.token_hex(16),
            case_id=case.id,
            operator=call.actor,
            text=note_text,
            created_at=self._clock(),
        )
        with self._audit.transaction() as audited:
            self._repository.add_note(note, within=audited.transaction)
            audited.record(
                realm=case.realm,
                actor=call.actor,
                subject=case.matched_user_id,
                action=NOTE_ADDED,
                outcome="added",
                detail={
                    **_case_detail(case),
                    "note_id": note.id,
                    "length": len(note_text),
                    "admin_id": call.administrator.subject,
                },
                ip=call.ip,
                user_agent=call.user_agent,
            )
        return note

    # -- deciding ------------------------------------------------------------------------------------------------

    def approve(self, call: AdminCall, case_number: str, user_id: Any, reason: Any) -> Decision:
        """Reset the MFA of ``user_id`` (the administrator of the case's realm the operator matched and called
        back): OTP, backup codes and backup address removed, ``CONFIGURE_TOTP`` added, also while the realm forces
        MFA. With four-eyes the first approval is only recorded; a second, different operator's approval of the
        same user carries it out."""
        self.check_operator(call)
        text = inputs.reason(reason, required=True) or ""
        target = _user_id(user_id)
        case = self._open_case(case_number)
        self._refuse_own_case(call, case, "approve", target)
        keycloak = self._keycloak.as_admin(call.administrator)
        if not may_manage(keycloak.user(case.realm, target)):  # 404 or 403 before anything changes
            raise Forbidden("Keycloak does not let your account manage this user")
        approvals: list[Approval] = []
        if self._realm_options(case.realm).desk_four_eyes:
            approvals = self._repository.approvals(case.id)
            seconded = [a for a in approvals if a.operator_id != call.administrator.subject and a.user_id == target]
            if not seconded:
                return self._record_approval(call, case, target, text, approvals)
        detail: dict[str, Any] = {
            **_case_detail(case),
            "reason": text,
            "approved_by": [a.operator for a in approvals if a.user_id == target] + [call.actor],
        }
        with call.audited(self._audit, case.realm, target, CASE_APPROVED, detail):
            self._mfa_actions.reset_for_enrolment(keycloak, case.realm, target, detail)
            if not self._repository.decide(case.id, APPROVED, self._clock(), call.actor, text):
                raise CaseDecided("the case was decided by someone else meanwhile")
        call.record(self._audit, case.realm, target, CASE_APPROVED, SUCCEEDED, detail)
        self._after_decision(call, case)
        queue_notice(
            self._outbox,
            self._audit,
            self._clock,
            Caller(realm=case.realm, user_id=target),
            DESK_APPROVED,
            detail={"case_number": case.case_number, "locale": case.language},
        )
        return Decision("approved", self._decided(case), detail)

    def reject(self, call: AdminCall, case_number: str, reason: Any) -> Decision:
        """Close the case without changing anything in Keycloak; the account's owner, when the account resolves,
        is mailed the reason."""
        self.check_operator(call)
        text = inputs.reason(reason, required=True) or ""
        case = self._open_case(case_number)
        self._refuse_own_case(call, case, "reject", None)
        detail: dict[str, Any] = {**_case_detail(case), "reason": text, "admin_id": call.administrator.subject}
        with self._audit.transaction() as audited:
            if not self._repository.decide(case.id, REJECTED, self._clock(), call.actor, text, audited.transaction):
                raise CaseDecided("the case is decided already")
            audited.record(
                realm=case.realm,
                actor=call.actor,
                subject=case.matched_user_id,
                action=CASE_REJECTED,
                outcome="rejected",
                detail=detail,
                ip=call.ip,
                user_agent=call.user_agent,
            )
        self._after_decision(call, case)
        owner = self._owner(case)
        if owner is not None:
            queue_notice(
                self._outbox,
                self._audit,
                self._clock,
                Caller(realm=case.realm, user_id=owner),
                DESK_REJECTED,
                detail={"case_number": case.case_number, "locale": case.language, "reason": text},
            )
        return Decision("rejected", self._decided(case), detail)

    # -- helpers -------------------------------------------------------------------------------------------------

    def _find(self, case_number: str) -> Case:
        number = normalise_case_number(case_number)
        case = self._repository.find_by_number(number) if number else None
        if case is None:
            raise NotFound("no case with this number")
        return case

    def _open_case(self, case_number: str) -> Case:
        case = self._find(case_number)
        if case.status != OPEN:
            raise CaseDecided(f"the case is {case.status} already")
        return case

    def _decided(self, case: Case) -> Case:
        return self._repository.get(case.id) or case

    def _refuse_own_case(self, call: AdminCall, case: Case, decision: str, user_id: str | None) -> None:
        """An operator never decides a case about their own account: the account as typed (case-folded) is their
        username or address, or the user matched or named is themselves. Refused and audited."""
        administrator = call.administrator
        names = {administrator.username.casefold()}
        if administrator.email:
            names.add(administrator.email.casefold())
        same_realm = case.realm == administrator.realm
        ids = {user_id, case.matched_user_id} - {None}
        if case.account.casefold() in names or (same_realm and administrator.subject in ids):
            call.record(
                self._audit,
                case.realm,
                user_id or case.matched_user_id,
                DECISION_REFUSED,
                "refused",
                {**_case_detail(case), "decision": decision, "why": "own_case"},
            )
            raise OwnCase("this case is about your own account: another operator must decide it")

    def _record_approval(
        self, call: AdminCall, case: Case, user_id: str, reason: str, approvals: list[Approval]
    ) -> Decision:
        if any(a.operator_id == call.administrator.subject for a in approvals):
            raise AlreadyApproved("you approved this case already: a second, different operator must approve it")
        approval = Approval(
            case_id=case.id,
            operator_id=call.administrator.subject,
            operator=call.actor,
            user_id=user_id,
            reason=reason,
            approved_at=self._clock(),
        )
        detail = {**_case_detail(case), "reason": reason, "admin_id": call.administrator.subject}
        with self._audit.transaction() as audited:
            if not self._repository.add_approval(approval, within=audited.transaction):
                raise AlreadyApproved("you approved this case already: a second, different operator must approve it")
            audited.record(
                realm=case.realm,
                actor=call.actor,
                subject=user_id,
                action=APPROVAL_RECORDED,
                outcome="recorded",
                detail=detail,
                ip=call.ip,
                user_agent=call.user_agent,
            )
        return Decision("approval_recorded", case, detail)

    def _after_decision(self, call: AdminCall, case: Case) -> None:
        """The documents go at once; what fails here the purge run catches."""
        try:
            report = self._purge.delete_documents_of(case.id, call.actor)
        except Exception:
            logger.exception("desk: case %s: cannot delete the documents now; the purge will", case.case_number)
            return
        for failure in report.failures:
            logger.error("desk: %s; the purge will try again", failure)

    def _owner(self, case: Case) -> str | None:
        """The account's user id: the one matched at filing, else looked up now (None when it does not resolve)."""
        if case.matched_user_id:
            return case.matched_user_id
        try:
            user = self._directory.find_user_by_username(case.realm, case.account)
            if user is None and "@" in case.account:
                user = self._directory.find_user_by_email(case.realm, case.account)
        except AdminError:
            logger.warning("desk: case %s: the account cannot be looked up for the mail", case.case_number)
            return None
        return None if user is None else user.id


def _role_users(keycloak: KeycloakApi, realm: str, client: str, role: str) -> list[Representation]:
    users: list[Representation] = []
    while len(users) < MAX_ADMINISTRATORS:
        page = keycloak.client_role_users(realm, client, role, len(users), ROLE_PAGE)
        users.extend(page)
        if len(page) < ROLE_PAGE:
            break
    return users


def _text(user: Representation, name: str) -> str | None:
    value = user.get(name)
    return value if isinstance(value, str) and value else None


def _administrator(
    user: Representation, roles: list[str], account: str, matched_user_id: str | None
) -> RealmAdministrator:
    username = _text(user, "username") or ""
    email = _text(user, "email")
    matches = account in {username.casefold(), (email or "").casefold()} or user.get("id") == matched_user_id
    return RealmAdministrator(
        id=str(user["id"]),
        username=username,
        email=email,
        first_name=_text(user, "firstName"),
        last_name=_text(user, "lastName"),
        roles=tuple(roles),
        matches_account=matches,
    )


def _case_detail(case: Case) -> dict[str, Any]:
    return {"case_id": case.id, "case_number": case.case_number, "account": case.account}


def _view(case: Case, document: CaseDocument) -> dict[str, Any]:
    return {**_case_detail(case), "document_id": document.id, "kind": DocumentKind(document.kind).value}


def _user_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("user_id is required: the Keycloak id of the administrator you matched")
    text = value.strip()
    if len(text) > MAX_USER_ID_LENGTH or not plain_text.is_one_line(text):
        raise InvalidInput("user_id must be one line of at most 255 characters")
    return text


def _note(value: Any) -> str:
    """1 to 2000 characters of storable text; lines may break (a call back has several things to say), other
    control characters are refused."""
    if not isinstance(value, str):
        raise InvalidInput("text must be a string")
    text = value.strip()
    if not text:
        raise InvalidInput("text is required")
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"text must be at most {MAX_NOTE_LENGTH} characters")
    if not all(plain_text.is_one_line(line) for line in text.replace("\r\n", "\n").split("\n")):
        raise InvalidInput("text must be text, without control characters or invalid characters")
    return text.replace("\r\n", "\n")
