"""Filing a recovery request at the desk (:class:`DeskFiling`, the :class:`~.intake.DeskIntake` the page calls).

In this order, each step before anything is stored, so a refused request leaves nothing behind:

1. **The source address's limit** (``MFA_RECOVERY_DESK_SOURCE_LIMIT`` requests an hour, counted in the failure
   table under ``source:desk:<ip>``): every request counts, filed or refused, because a refused one costs as much
   work (PDF walk, OCR) as a filed one.
2. **The fields**: organisation and account one line each, the realm a realm name, the phone number and the KvK
   number by their formats.
3. **The account's limit** (``MFA_RECOVERY_DESK_ACCOUNT_LIMIT`` cases a day per realm and account, as typed,
   case-folded): counted over the cases filed, and counted again inside the transaction that files, so two
   requests at once cannot both slip past it.
4. **The documents** (:mod:`.documents`) and **the BSN check** on both images (:mod:`.bsn`): the selfie shows the
   requester holding the document, so a BSN may be legible there too.
5. **The account** is looked up in Keycloak (by username, and by email address when it holds an ``@``: both
   look-ups are asked whether or not the first finds someone, so the time taken does not tell). Keycloak down, or
   no such realm: the case is filed all the same, noting that the account could not be looked up.
6. **Stored in one go**: the documents are sealed into the vault, then the case, its documents' rows and the audit
   row ``desk.request_filed`` commit in one transaction. Should anything fail, the transaction rolls back and the
   sealed files are deleted: nothing stays. (A process killed between the two leaves files no row names; the
   purge deletes them.)
7. **The mail** to the account's primary address (when the account was found) is queued after the commit; the
   case stands even if queueing fails (logged and audited, as every notice).

The answer is :class:`~.intake.Filed` with the case number, the same whether the account exists or not and
whether Keycloak answered or not: the page cannot be used to find out who has an account.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .. import plain_text
from ..admin.errors import KeycloakUnavailable
from ..attempt_limits.attempts import source_subject
from ..attempt_limits.limiter import FailureLimiter
from ..attempt_limits.window import rolling_window_wait
from ..audit.log import AuditTransactions
from ..directory import Directory, DirectoryUser
from ..keycloak.realm_keys import is_realm_name
from ..notifications.mails.layout import language_of
from ..notifications.outbox import DESK_REQUEST_FILED, Outbox
from ..store.transactions import Transaction
from ..translations import N_
from .bsn import BsnReader, check_no_bsn, legible_bsns
from .case_numbers import new_case_number
from .documents import IMAGE_KINDS, CheckedDocument, DocumentLimits, check_documents
from .intake import DocumentKind, Filed, RecoveryRequest, RequestRefused, TooManyRequests
from .repository import MATCHED, NO_MATCH, UNAVAILABLE, DeskRepository, NewCase, NewDocument
from .vault import DocumentVault

logger = logging.getLogger(__name__)

ACTOR = "desk"
FILED = "filed"
# The failure table is keyed by realm and subject; the desk's source limit spans realms (the realm is what the
# requester typed), so it counts under this scope, which no realm name can be.
SOURCE_SCOPE = "(desk)"
SOURCE_WHAT = "desk"
SOURCE_WINDOW_SECONDS = 3600
ACCOUNT_WINDOW = timedelta(days=1)

MAX_ORGANISATION = 200
MAX_ACCOUNT = 255
MAX_IP = 255
MAX_USER_AGENT = 1000
_PHONE = re.compile(r"[0-9 +\-()]{6,32}\Z")
MIN_PHONE_DIGITS = 6
_KVK = re.compile(r"[0-9]{8}\Z")

# What the refusals of fields say (message ids of the sidecar's catalogs; the page translates them).
REQUIRED = N_("Fill in this field.")
TOO_LONG = N_("Use at most %(length)s characters.")
NOT_ONE_LINE = N_("Use one line, without tabs or control characters.")
NOT_A_REALM = N_("A realm name has only letters, digits, dots, hyphens and underscores.")
NOT_A_PHONE = N_("Give a phone number of 6 to 32 characters: digits, spaces, +, - and brackets.")
NOT_A_KVK_NUMBER = N_("A KvK number is 8 digits.")


@dataclass(frozen=True)
class DeskLimits:
    """How much the desk takes: per document (:class:`DocumentLimits`), and cases per account of a realm a day."""

    documents: DocumentLimits = field(default_factory=DocumentLimits)
    account_cases_per_day: int = 3


@dataclass(frozen=True)
class _Fields:
    organisation: str
    realm: str
    account: str
    phone: str
    kvk_number: str
    language: str
    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class _Lookup:
    status: str  # MATCHED | NO_MATCH | UNAVAILABLE
    user: DirectoryUser | None = None


class DeskFiling:
    """Takes recovery requests (:class:`~.intake.DeskIntake`)."""

    def __init__(
        self,
        repository: DeskRepository,
        vault: DocumentVault,
        directory: Directory,
        audit: AuditTransactions,
        outbox: Outbox,
        clock: Callable[[], datetime],
        *,
        per_source: FailureLimiter,
        limits: DeskLimits | None = None,
        read_bsns: BsnReader = legible_bsns,
    ) -> None:
        """``per_source``: requests one address may make (the source limit's policy: N an hour, then an hour's
        wait). ``read_bsns``: the OCR (tests pass a stand-in)."""
        self._repository = repository
        self._vault = vault
        self._directory = directory
        self._audit = audit
        self._outbox = outbox
        self._clock = clock
        self._per_source = per_source
        self._limits = limits or DeskLimits()
        self._read_bsns = read_bsns

    def file(self, request: RecoveryRequest) -> Filed:
        ip = _forwarded(request.ip, MAX_IP)
        self._count_source(ip)
        fields = _fields(request, ip)
        self._check_account_limit(fields.realm, fields.account)
        documents = check_documents(request.documents, self._limits.documents)
        ocr_checked = True
        for kind in IMAGE_KINDS:  # every image, even after one went unchecked
            ocr_checked = check_no_bsn(documents[kind], self._read_bsns) and ocr_checked
        lookup = self._look_up(fields.realm, fields.account)
        case = NewCase(
            id=secrets.token_hex(16),
            case_number=new_case_number(),
            realm=fields.realm,
            account=fields.account,
            organisation=fields.organisation,
            phone=fields.phone,
            kvk_number=fields.kvk_number,
            language=fields.language,
            ip=fields.ip,
            user_agent=fields.user_agent,
            created_at=self._clock(),
            ocr_checked=ocr_checked,
            account_lookup=lookup.status,
            matched_user_id=lookup.user.id if lookup.user else None,
        )
        self._store(case, documents)
        logger.info("desk: case %s filed (realm %s, account %s)", case.case_number, case.realm, lookup.status)
        if lookup.user is not None:
            self._queue_mail(case, lookup.user)
        return Filed(case.case_number)

    # --- limits ------------------------------------------------------------------------------------------------

    def _count_source(self, ip: str | None) -> None:
        """Refuse while the address is over its limit; otherwise count this request."""
        if not ip:
            return
        subject = source_subject(SOURCE_WHAT, ip)
        state = self._per_source.state(SOURCE_SCOPE, subject)
        if state.locked:
            logger.info("desk: request refused, too many from %s", ip)
            raise TooManyRequests(state.retry_after_seconds)
        self._per_source.record_failure(SOURCE_SCOPE, subject)

    def _check_account_limit(self, realm: str, account: str, within: Transaction | None = None) -> None:
        now = self._clock()
        filed = self._repository.filed_since(realm, account, now - ACCOUNT_WINDOW, within=within)
        wait = rolling_window_wait(filed, self._limits.account_cases_per_day, ACCOUNT_WINDOW, now)
        if wait is not None:
            logger.info("desk: request refused, too many cases for an account of realm %s", realm)
            raise TooManyRequests(wait)

    # --- the account -------------------------------------------------------------------------------------------

    def _look_up(self, realm: str, account: str) -> _Lookup:
        try:
            by_username = self._directory.find_user_by_username(realm, account)
            by_email = self._directory.find_user_by_email(realm, account) if "@" in account else None
        except KeycloakUnavailable as exc:
            logger.warning("desk: cannot look the account up in realm %s: %s", realm, exc)
            return _Lookup(UNAVAILABLE)
        user = by_username or by_email
        return _Lookup(MATCHED, user) if user is not None else _Lookup(NO_MATCH)

    # --- storing -----------------------------------------------------------------------------------------------

    def _store(self, case: NewCase, documents: Mapping[DocumentKind, CheckedDocument]) -> None:
        """Seal the documents, then the case, their rows and the audit row in one transaction; on any failure
        nothing stays (the sealed files are deleted)."""
        sealed: list[NewDocument] = []
        try:
            for kind, document in documents.items():
                document_id = secrets.token_hex(16)
                file_name = self._vault.seal(case.id, document_id, kind, document.content)
                sealed.append(NewDocument(document_id, kind, document.media_type, len(document.content), file_name))
            with self._audit.transaction() as audited:
                self._check_account_limit(case.realm, case.account, within=audited.transaction)
                self._repository.add(case, sealed, within=audited.transaction)
                audited.record(
                    realm=case.realm,
                    actor=ACTOR,
                    subject=case.matched_user_id,
                    action="desk.request_filed",
                    outcome=FILED,
                    detail=_audit_detail(case, sealed),
                    ip=case.ip,
                    user_agent=case.user_agent,
                )
        except BaseException:
            for kept in sealed:
                try:
                    self._vault.delete(kept.file_name)
                except OSError:
                    logger.exception("desk: cannot delete %s of a case not filed", kept.file_name)
            raise

    def _queue_mail(self, case: NewCase, user: DirectoryUser) -> None:
        try:
            self._outbox.enqueue(
                realm=case.realm,
                user_id=user.id,
                kind=DESK_REQUEST_FILED,
                occurred_at=case.created_at,
                ip=case.ip,
                user_agent=case.user_agent,
                detail={"case_number": case.case_number, "locale": case.language},
            )
        except Exception:
            logger.exception("desk: cannot queue the mail of case %s", case.case_number)
            self._audit.record(
                realm=case.realm,
                actor=ACTOR,
                subject=user.id,
                action="notification.failed",
                outcome="not_queued",
                detail={"kind": DESK_REQUEST_FILED, "case_number": case.case_number},
                ip=case.ip,
                user_agent=case.user_agent,
            )


def _audit_detail(case: NewCase, documents: list[NewDocument]) -> dict[str, Any]:
    """What the trail keeps of a filed case, for good (the case itself goes after the retention period): which
    case, which account as typed and whether it was found, whether the images were checked for a BSN, and what was
    sent. Not the phone number, the organisation or the KvK number, nor anything of the documents' content."""
    return {
        "case_id": case.id,
        "case_number": case.case_number,
        "account": case.account,
        "account_lookup": case.account_lookup,
        "ocr_checked": case.ocr_checked,
        "documents": {
            document.kind.value: {"media_type": document.media_type, "size": document.size} for document in documents
        },
    }


# --- the fields ----------------------------------------------------------------------------------------------------


def _fields(request: RecoveryRequest, ip: str | None) -> _Fields:
    return _Fields(
        organisation=_line("organisation", request.organisation, MAX_ORGANISATION),
        realm=_realm(request.realm),
        account=_line("account", request.account, MAX_ACCOUNT),
        phone=_phone(request.phone),
        kvk_number=_kvk_number(request.kvk_number),
        language=language_of(request.language),
        ip=ip,
        user_agent=_forwarded(request.user_agent, MAX_USER_AGENT),
    )


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise RequestRefused(field, REQUIRED)
    text = value.strip()
    if not text:
        raise RequestRefused(field, REQUIRED)
    return text


def _line(field: str, value: object, length: int) -> str:
    text = _text(field, value)
    if not plain_text.is_one_line(text):
        raise RequestRefused(field, NOT_ONE_LINE)
    if len(text) > length:
        raise RequestRefused(field, TOO_LONG, length=length)
    return text


def _realm(value: object) -> str:
    text = _text("realm", value)
    if not is_realm_name(text):
        raise RequestRefused("realm", NOT_A_REALM)
    return text


def _phone(value: object) -> str:
    text = _text("phone", value)
    if _PHONE.match(text) is None or sum(character.isdigit() for character in text) < MIN_PHONE_DIGITS:
        raise RequestRefused("phone", NOT_A_PHONE)
    return text


def _kvk_number(value: object) -> str:
    text = _text("kvk_number", value).replace(" ", "").replace(".", "")
    if _KVK.match(text) is None:
        raise RequestRefused("kvk_number", NOT_A_KVK_NUMBER)
    return text


def _forwarded(value: object, length: int) -> str | None:
    """What the browser's request carried (address, user agent): cleaned to one storable line, never refused."""
    if not isinstance(value, str):
        return None
    text = plain_text.cleaned(value.strip())[:length]
    return text or None
