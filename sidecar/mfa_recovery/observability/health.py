"""Health: is the process alive (``/health/live``), and can it serve now (``/health/ready``).

Ready asks three dependencies: the store (a ``SELECT 1``), Keycloak (the operator realm's JWKS, the same endpoint
family the bridge tokens are checked against) and SMTP (connect and EHLO/NOOP to ``MFA_RECOVERY_SMTP_HOST``). Each
check has a short timeout, and its result is kept for :data:`CACHE_SECONDS` in the worker, so that a load balancer
or Prometheus probing every second does not make every probe a call to Keycloak and the mail server. A reason is a
few words: an exception's class or an HTTP status, never a URL with credentials, a password or a response body.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import Engine

from ..store.engine import is_reachable

CACHE_SECONDS = 5.0
KEYCLOAK_TIMEOUT_SECONDS = 2.0
SMTP_TIMEOUT_SECONDS = 2.0
OK = "ok"
FAILED = "failed"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str | None = None

    def as_json(self) -> dict[str, str]:
        answer = {"status": OK if self.ok else FAILED}
        if self.reason:
            answer["reason"] = self.reason
        return answer


Check = Callable[[], CheckResult]


class CachedCheck:
    """A check whose result is kept ``seconds`` long (successes and failures alike); one caller at a time runs it,
    the others wait for its result instead of running it too."""

    def __init__(self, check: Check, seconds: float = CACHE_SECONDS, monotonic: Callable[[], float] = time.monotonic):
        self._check = check
        self._seconds = seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._result: CheckResult | None = None
        self._at = 0.0

    def __call__(self) -> CheckResult:
        with self._lock:
            now = self._monotonic()
            if self._result is None or now - self._at >= self._seconds:
                self._result = _guarded(self._check)
                self._at = now
            return self._result


def _guarded(check: Check) -> CheckResult:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - a check that breaks is a failed check, never a 500
        return CheckResult(False, type(exc).__name__)


@dataclass(frozen=True)
class Readiness:
    """Every check by name, and whether all of them passed."""

    checks: Mapping[str, CheckResult]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "status": OK if self.ok else "unavailable",
            "checks": {name: result.as_json() for name, result in self.checks.items()},
        }


class ReadinessChecks:
    """The named checks of ``/health/ready``, run in order."""

    def __init__(self, checks: Sequence[tuple[str, Check]]) -> None:
        self._checks = tuple(checks)

    def run(self) -> Readiness:
        return Readiness({name: _guarded(check) for name, check in self._checks})


def store_check(engine: Engine) -> Check:
    def check() -> CheckResult:
        return CheckResult(True) if is_reachable(engine) else CheckResult(False, "the store does not answer")

    return check


HttpGet = Callable[..., Any]


def keycloak_check(keycloak_url: str, realm: str, get: HttpGet = requests.get) -> Check:
    """The realm's JWKS (``…/realms/<realm>/protocol/openid-connect/certs``) answers with at least one key."""
    url = f"{keycloak_url.rstrip('/')}/realms/{realm}/protocol/openid-connect/certs"

    def check() -> CheckResult:
        try:
            response = get(url, timeout=KEYCLOAK_TIMEOUT_SECONDS, allow_redirects=False)
        except requests.RequestException as exc:
            return CheckResult(False, f"Keycloak unreachable: {type(exc).__name__}")
        if response.status_code != 200:
            return CheckResult(False, f"the JWKS of realm {realm} answered HTTP {response.status_code}")
        try:
            keys = response.json().get("keys")
        except (ValueError, AttributeError):
            keys = None
        if not isinstance(keys, list) or not keys:
            return CheckResult(False, f"the JWKS of realm {realm} holds no keys")
        return CheckResult(True)

    return check


SmtpFactory = Callable[[str, int, str, float], smtplib.SMTP]


def open_smtp(host: str, port: int, security: str, timeout: float) -> smtplib.SMTP:
    """A connection as :func:`..notifications.smtp.send` opens it (SSL, or plain and then STARTTLS)."""
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(host, port, timeout=timeout)


def smtp_check(host: str | None, port: int | None, security: str | None, connect: SmtpFactory = open_smtp) -> Check:
    """Connect, EHLO (STARTTLS first when asked) and NOOP to the operator's SMTP host; no login, no mail. Without
    ``MFA_RECOVERY_SMTP_HOST`` each realm's own server is used and there is no one host to ask: the check passes
    and says so."""
    tls = security or "off"
    port = port or (465 if tls == "ssl" else 587 if tls == "starttls" else 25)

    def check() -> CheckResult:
        if not host:
            return CheckResult(True, "not checked: each realm's own SMTP server")
        try:
            with connect(host, port, tls, SMTP_TIMEOUT_SECONDS) as client:
                if tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                client.ehlo()
                code, _ = client.noop()
        except (OSError, smtplib.SMTPException) as exc:
            return CheckResult(False, f"SMTP unreachable: {type(exc).__name__}")
        if code != 250:
            return CheckResult(False, f"SMTP answered {code} to NOOP")
        return CheckResult(True)

    return check


def readiness_checks(
    engine: Engine,
    keycloak_url: str,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_tls: str | None,
    *,
    keycloak_realm: str = "master",
    get: HttpGet = requests.get,
    connect: SmtpFactory = open_smtp,
    monotonic: Callable[[], float] = time.monotonic,
) -> ReadinessChecks:
    """The checks of ``/health/ready``: the store each time, Keycloak and SMTP cached. ``keycloak_realm``: the
    realm of the sidecar's service account (``master``)."""
    return ReadinessChecks(
        [
            ("store", store_check(engine)),
            ("keycloak", CachedCheck(keycloak_check(keycloak_url, keycloak_realm, get), monotonic=monotonic)),
            ("smtp", CachedCheck(smtp_check(smtp_host, smtp_port, smtp_tls, connect), monotonic=monotonic)),
        ]
    )
