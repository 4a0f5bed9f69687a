"""The realm's "force MFA for all users" policy, in Keycloak's terms (docs/architecture.md, "Admin API").

Forced ⇔ the execution that holds the ``mfa-recovery`` step (a subflow of the realm's browser flow, in acme
``mfa-browser 2fa``) is ``REQUIRED`` rather than ``CONDITIONAL``; forcing also makes ``CONFIGURE_TOTP`` enabled and a
default action. The state is read from Keycloak every time with the sidecar's service account, so a change made
in the Keycloak console counts; every change is made with the administrator's token. Switching on stores a
snapshot of the settings first (once), switching off restores it exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..audit.log import Auditor
from ..keycloak.access import KeycloakAccess
from ..keycloak.rest import CONFIGURE_TOTP, KeycloakApi, Representation
from . import inputs
from .errors import AdminError, NoMfaStep
from .identity import SUCCEEDED, UNCHANGED, AdminCall
from .repository import PolicySnapshotRepository

PROVIDER = "mfa-recovery"
REQUIRED = "REQUIRED"
CONDITIONAL = "CONDITIONAL"
FORCED_TOTP_FLAGS = ("enabled", "defaultAction")  # what forcing sets to true on CONFIGURE_TOTP
ACTION = "admin.policy"


def mfa_step(executions: Sequence[Mapping[str, Any]]) -> Representation | None:
    """The subflow execution holding the ``mfa-recovery`` step: the nearest execution before it with a lower
    ``level``, if that is a flow. None when the flow has no such step, or has it outside any subflow."""
    for index, execution in enumerate(executions):
        if execution.get("providerId") != PROVIDER:
            continue
        level = _level(execution)
        for earlier in reversed(executions[:index]):
            if _level(earlier) < level:
                return dict(earlier) if earlier.get("authenticationFlow") is True else None
        return None
    return None


def _level(execution: Mapping[str, Any]) -> int:
    level = execution.get("level")
    return level if isinstance(level, int) else 0


@dataclass(frozen=True)
class KeycloakSettings:
    """What the policy reads from Keycloak."""

    browser_flow: str
    executions: list[Representation]
    step: Representation | None
    configure_totp: Representation

    @property
    def forced(self) -> bool:
        return self.step is not None and self.step.get("requirement") == REQUIRED

    def summary(self) -> dict[str, Any]:
        """The facts shown to administrators and kept in the audit trail."""
        step = self.step
        return {
            "browser_flow": self.browser_flow,
            "step": None
            if step is None
            else {
                "id": step.get("id"),
                "display_name": step.get("displayName"),
                "requirement": step.get("requirement"),
            },
            "configure_totp": {
                "enabled": self.configure_totp.get("enabled") is True,
                "default_action": self.configure_totp.get("defaultAction") is True,
            },
        }


@dataclass(frozen=True)
class SnapshotInfo:
    taken_at: datetime
    taken_by: str


@dataclass(frozen=True)
class PolicyState:
    keycloak: KeycloakSettings
    snapshot: SnapshotInfo | None

    @property
    def force_mfa(self) -> bool:
        return self.keycloak.forced


@dataclass(frozen=True)
class PolicyChange:
    state: PolicyState
    changed: bool
    left: tuple[str, ...] = ()  # what switching off did not revert, because someone changed it since


class Policy:
    def __init__(
        self,
        keycloak: KeycloakAccess,
        snapshots: PolicySnapshotRepository,
        audit: Auditor,
        clock: Callable[[], datetime],
    ) -> None:
        self._keycloak = keycloak
        self._snapshots = snapshots
        self._audit = audit
        self._clock = clock

    def is_forced(self, realm: str) -> bool:
        """Whether the realm forces MFA now (read with the service account)."""
        return self._read(realm).forced

    def view(self, call: AdminCall, realm: str) -> PolicyState:
        """The state, for an administrator of the realm (Keycloak must let their token see the realm)."""
        self._keycloak.as_admin(call.administrator).probe_realm(realm)
        return self._state(realm, self._read(realm))

    def confirm_realm_manager(self, call: AdminCall, realm: str) -> None:
        """Ask Keycloak whether the administrator may manage the realm's settings; :class:`Forbidden` when not.
        Keycloak answers that question read-only only to its own console (``whoami`` refuses other clients'
        tokens), so the administrator writes ``CONFIGURE_TOTP`` back unchanged, as switching the policy does."""
        unchanged = self._keycloak.as_service().required_action(realm, CONFIGURE_TOTP)
        self._keycloak.as_admin(call.administrator).update_required_action(realm, CONFIGURE_TOTP, unchanged)

    def set(self, call: AdminCall, realm: str, force_mfa: bool, reason: Any) -> PolicyChange:
        """Force MFA, or stop forcing it. Idempotent: when nothing is to change, nothing is written (Keycloak is
        still asked, with an unchanged execution, whether the administrator may manage the realm's flows)."""
        text = inputs.reason(reason, required=True)
        before = self._read(realm)
        detail: dict[str, Any] = {
            "reason": text,
            "force_mfa": force_mfa,
            "before": before.summary(),
            "written": [],
            "left": [],
        }
        with call.audited(self._audit, realm, None, ACTION, detail):
            if before.step is None:
                raise NoMfaStep(f"the browser flow {before.browser_flow!r} has no {PROVIDER} step inside a subflow")
            admin = _Written(self._keycloak.as_admin(call.administrator), detail["written"])
            if before.forced == force_mfa:
                admin.update_execution(realm, before.browser_flow, before.step)
                detail["snapshot"] = None
            elif force_mfa:
                detail["snapshot"] = self._force(call, admin, realm, before, before.step)
            else:
                detail["snapshot"] = self._unforce(admin, realm, before, before.step, detail["left"])
            after = self._read(realm)
        changed = before.forced != force_mfa
        outcome = SUCCEEDED if changed else UNCHANGED
        call.record(self._audit, realm, None, ACTION, outcome, {**detail, "after": after.summary()})
        return PolicyChange(self._state(realm, after), changed, tuple(detail["left"]))

    def _force(
        self, call: AdminCall, admin: _Written, realm: str, before: KeycloakSettings, step: Representation
    ) -> str:
        content = {
            "browser_flow": before.browser_flow,
            "executions": before.executions,
            "configure_totp": before.configure_totp,
        }
        stored = self._snapshots.put_if_absent(realm, self._clock(), call.actor, content)
        try:
            admin.update_execution(realm, before.browser_flow, {**step, "requirement": REQUIRED})
        except AdminError:
            if stored:  # nothing was changed: the next attempt takes its own snapshot
                self._snapshots.delete(realm)
            raise
        totp = before.configure_totp
        if totp.get("enabled") is not True or totp.get("defaultAction") is not True:
            admin.update_required_action(realm, CONFIGURE_TOTP, {**totp, "enabled": True, "defaultAction": True})
        return "stored" if stored else "kept"

    def _unforce(
        self, admin: _Written, realm: str, before: KeycloakSettings, step: Representation, left: list[str]
    ) -> str:
        """Undo what forcing set, and only where it is still as forcing left it: the step back to its requirement
        from before (``CONDITIONAL`` without a snapshot), ``CONFIGURE_TOTP``'s flags back to theirs. A flag someone
        changed since is theirs now: it stays, and ``left`` names it. Nothing else of the flow is touched."""
        snapshot = self._snapshots.get(realm)
        saved_requirement = _saved_requirement(snapshot.content if snapshot else {}, step)
        admin.update_execution(realm, before.browser_flow, {**step, "requirement": saved_requirement})
        saved_totp = snapshot.content.get("configure_totp") if snapshot else None
        if not isinstance(saved_totp, dict):  # forced outside the sidecar: what forcing means is a default action
            saved_totp = {**before.configure_totp, "defaultAction": False}
        totp = dict(before.configure_totp)
        for flag in FORCED_TOTP_FLAGS:
            wanted = saved_totp.get(flag)
            if not isinstance(wanted, bool) or totp.get(flag) == wanted:
                continue
            if totp.get(flag) is True:  # still as forcing set it
                totp[flag] = wanted
            else:
                left.append(f"required action {CONFIGURE_TOTP}: {flag} changed since MFA was forced")
        if totp != before.configure_totp:
            admin.update_required_action(realm, CONFIGURE_TOTP, totp)
        if snapshot is not None:
            self._snapshots.delete(realm)
        return "restored" if snapshot is not None else "none"

    def _read(self, realm: str) -> KeycloakSettings:
        service = self._keycloak.as_service()
        flow = service.browser_flow(realm)
        executions = service.executions(realm, flow)
        return KeycloakSettings(
            browser_flow=flow,
            executions=executions,
            step=mfa_step(executions),
            configure_totp=service.required_action(realm, CONFIGURE_TOTP),
        )

    def _state(self, realm: str, settings: KeycloakSettings) -> PolicyState:
        snapshot = self._snapshots.get(realm)
        info = None if snapshot is None else SnapshotInfo(taken_at=snapshot.taken_at, taken_by=snapshot.taken_by)
        return PolicyState(keycloak=settings, snapshot=info)


def _saved_requirement(snapshot: Mapping[str, Any], step: Representation) -> str:
    """The step's requirement from before MFA was forced; ``CONDITIONAL`` when the snapshot does not say (forced
    outside the sidecar, or the flow changed since) or says ``REQUIRED``."""
    for execution in snapshot.get("executions") or []:
        if isinstance(execution, dict) and execution.get("id") == step.get("id"):
            requirement = execution.get("requirement")
            if isinstance(requirement, str) and requirement != REQUIRED:
                return requirement
    return CONDITIONAL


class _Written:
    """The administrator's Keycloak writes of a policy change, each listed in ``written`` once Keycloak took it,
    so that a change that fails half-way is audited with what it had written by then."""

    def __init__(self, keycloak: KeycloakApi, written: list[str]) -> None:
        self._keycloak = keycloak
        self._written = written

    def update_execution(self, realm: str, flow: str, execution: Representation) -> None:
        self._keycloak.update_execution(realm, flow, execution)
        self._written.append(f"execution {execution.get('id')}: {execution.get('requirement')}")

    def update_required_action(self, realm: str, alias: str, representation: Representation) -> None:
        self._keycloak.update_required_action(realm, alias, representation)
        flags = f"enabled={representation.get('enabled')}, default_action={representation.get('defaultAction')}"
        self._written.append(f"required action {alias}: {flags}")
