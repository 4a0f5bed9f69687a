"""``mfa-recovery realm install|uninstall``: add mfa-recovery to an existing realm through Keycloak's admin REST API,
and take it out again.

What install adds to realm X (what ``realm-config/acme-realm.json`` carries for mfa-recovery):

* the browser flow ``mfa-recovery browser``: a copy of the flow bound as X's browser flow, with the MFA recovery
  step (authenticator ``mfa-recovery``) right after the OTP form (``auth-otp-form``) in the same subflow, both
  ALTERNATIVE (an OTP form that was REQUIRED becomes ALTERNATIVE in the copy: beside a REQUIRED step an
  ALTERNATIVE one never runs). The realm's own flows are not touched. It is bound as the browser flow only when
  asked (``--bind``);
* the admin UI's client (``Settings.admin_ui_client_id``, by default ``mfa-recovery-admin``) as the demo realm has
  it: confidential, authorization code + PKCE, redirect URIs under ``Settings.public_url``, the secret
  ``Settings.admin_ui_client_secret``. (The demo realm has no ``mfa-recovery-sidecar`` client: the sidecar's one
  service account is a client in master, see :mod:`.service_account`; the command line grants it X too);
* the required action ``mfa-recovery-setup`` ("Set up account recovery"), registered and enabled;
* the user profile attribute ``supervisor`` (only admins edit it; in the group ``user-metadata`` when the profile
  has that group);
* the login theme ``mfa-recovery`` (the realm's ``loginTheme``);
* the realm localization texts of the account console and the profile (:data:`TEXTS`, en and nl).

Uninstall needs what X had before install; install records it, before anything else changes, in the description
of its own flow (``mfa-recovery install record: {...}``): the browser flow bound before, the login theme before,
whether the required action was registered (and enabled), whether the realm had a user profile stored (else a
digest of Keycloak's default one), and what already existed and so is not ours (a client of the same id, a
``supervisor`` attribute, texts of a locale). The record goes with the flow, which uninstall deletes last. Uninstall
then: binds the recorded browser flow again (when ours is bound), resets the login theme, deletes the client,
the required action (or disables it again, or leaves it when it was enabled before), the profile attribute and
the localization texts that install created, and the flow. It leaves the users' credentials (backup codes of type
``mfa-recovery-backup-codes`` stay stored, unused until install again), the users' ``supervisor`` values (Keycloak
keeps them as unmanaged attributes), and the service account's roles on X in master. A localization text of ours
that X had before install is overwritten by install and deleted by uninstall.

Everything is planned first (reads only) and then applied step by step; a realm whose browser flow has no OTP
form is refused during planning, before anything changes. Every step is idempotent, so a second install plans
only "unchanged" steps.

The REST calls, all under ``/admin/realms/X`` (:class:`KeycloakRealmAdmin` makes them; JSON bodies):

* ``GET /`` the realm (``browserFlow``, ``loginTheme``); ``PUT /`` with ``{"browserFlow": alias}`` (bind, rebind)
  or ``{"loginTheme": name}``;
* ``GET /authentication/flows`` the top-level flows (ours, and the description holding the record);
* ``POST /authentication/flows/{alias}/copy`` ``{"newName": "mfa-recovery browser"}`` (subflows are copied as
  ``"mfa-recovery browser <subflow alias>"``);
* ``PUT /authentication/flows/{id}`` our flow as read, with the record as its ``description``;
* ``GET /authentication/flows/{alias}/executions`` every execution, subflows' nested ones after them (``level``,
  ``displayName`` = a subflow's alias, ``providerId``, ``requirement``, ``priority``);
* ``POST /authentication/flows/{subflow alias}/executions/execution`` ``{"provider": "mfa-recovery"}`` (Keycloak adds
  it last, DISABLED);
* ``POST /authentication/executions/{id}/raise-priority`` until our step is right after the OTP form;
* ``PUT /authentication/flows/mfa-recovery browser/executions`` an execution as read again, ``requirement``
  ALTERNATIVE (Keycloak also sets the ``priority`` given, so it is read after the moves);
* ``DELETE /authentication/flows/{id}`` our flow and its subflows (uninstall, last);
* ``GET /clients?clientId=…``, ``GET /clients/{id}/client-secret``, ``POST /clients``, ``PUT /clients/{id}``,
  ``DELETE /clients/{id}`` the admin UI's client;
* ``GET /authentication/required-actions``; ``POST /authentication/register-required-action``
  ``{"providerId": "mfa-recovery-setup", "name": "Set up account recovery"}`` (registers it enabled);
  ``PUT /authentication/required-actions/mfa-recovery-setup`` (enable, disable again) and ``DELETE`` of it;
* ``GET /users/profile`` and ``PUT /users/profile`` the whole user profile, with or without ``supervisor``;
  ``GET /components?type=org.keycloak.userprofile.UserProfileProvider`` whether a profile is stored, and
  ``DELETE /components/{id}`` (uninstall, when the realm had Keycloak's default profile and it is unchanged but for
  our attribute: back to the default);
* ``GET /localization/{locale}`` the realm's own texts, ``POST /localization/{locale}`` ``{key: text}``,
  ``DELETE /localization/{locale}/{key}``, and ``DELETE /localization/{locale}`` for a locale that had no texts
  before install and has none left, for en and nl.

The grant of the sidecar's service account is :func:`plan_grant` over :mod:`.service_account` and
python-keycloak in master: ``GET /admin/realms/master/clients?clientId=X-realm`` and ``…?clientId=<sidecar's
client>``, ``GET …/clients/{id}/service-account-user``, ``GET …/users/{id}/role-mappings/clients/{id}``; applied,
:func:`.service_account.grant` (``PUT`` or ``POST`` of the client, ``POST`` of the missing role mappings).

The attribute is the realm option ``supervisor_attribute``'s default name (``supervisor``); a realm that set the
option to another name declares that attribute itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from keycloak.exceptions import KeycloakError

from ..realm_options.options import DEFAULT_SUPERVISOR_ATTRIBUTE
from . import desk_operators
from .service_account import ROLES, SERVICE_REALM, MasterAdmin, grant

FLOW_ALIAS = "mfa-recovery browser"
AUTHENTICATOR = "mfa-recovery"  # MfaRecoveryAuthenticatorFactory.PROVIDER_ID
OTP_FORM = "auth-otp-form"
REQUIREMENT = "ALTERNATIVE"  # of our step and the OTP form, as in the demo realm's "mfa-browser 2fa"
REQUIRED_ACTION = "mfa-recovery-setup"  # MfaRecoverySetupActionFactory.PROVIDER_ID (also its alias)
REQUIRED_ACTION_NAME = "Set up account recovery"
LOGIN_THEME = "mfa-recovery"
SUPERVISOR = DEFAULT_SUPERVISOR_ATTRIBUTE
PROFILE_GROUP = "user-metadata"
CLIENT_DESCRIPTION = "The sidecar's admin web UI: realm administrators sign in here (authorization code + PKCE)."
BACKUP_CODES_CREDENTIAL = "mfa-recovery-backup-codes"  # BackupCodesCredentialProvider.TYPE
USER_PROFILE_PROVIDER = "org.keycloak.userprofile.UserProfileProvider"  # the component type of a stored profile
RECORD_MARK = "mfa-recovery install record: "
DESCRIPTION_LIMIT = 255  # Keycloak's column for a flow's description
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "mfa-recovery-backup-codes-display-name": "Backup codes",
        "mfa-recovery-backup-codes-help-text": (
            "Codes to sign in with when you lose your authenticator app. Each code works once."
        ),
        "mfa-recovery-supervisor-attribute": "Supervisor (username or email address)",
    },
    "nl": {
        "mfa-recovery-backup-codes-display-name": "Back-upcodes",
        "mfa-recovery-backup-codes-help-text": (
            "Codes om mee in te loggen als je je authenticator-app kwijt bent. Elke code werkt één keer."
        ),
        "mfa-recovery-supervisor-attribute": "Leidinggevende (gebruikersnaam of e-mailadres)",
    },
}


class InstallError(Exception):
    """The realm cannot take mfa-recovery as it is (nothing was changed), or uninstall finds nothing to undo."""


class RealmAdmin(Protocol):
    """The admin REST calls on one realm that install and uninstall make (see the module's table)."""

    def get_realm(self) -> dict[str, Any]: ...
    def update_realm(self, changes: dict[str, Any]) -> None: ...
    def get_flows(self) -> list[dict[str, Any]]: ...
    def copy_flow(self, alias: str, new_name: str) -> None: ...
    def update_flow(self, flow: dict[str, Any]) -> None: ...
    def delete_flow(self, flow_id: str) -> None: ...
    def get_executions(self, flow_alias: str) -> list[dict[str, Any]]: ...
    def add_execution(self, flow_alias: str, provider: str) -> None: ...
    def update_execution(self, flow_alias: str, execution: dict[str, Any]) -> None: ...
    def raise_priority(self, execution_id: str) -> None: ...
    def find_client(self, client_id: str) -> dict[str, Any] | None: ...
    def get_client_secret(self, uuid: str) -> str | None: ...
    def create_client(self, client: dict[str, Any]) -> None: ...
    def update_client(self, uuid: str, client: dict[str, Any]) -> None: ...
    def delete_client(self, uuid: str) -> None: ...
    def get_required_actions(self) -> list[dict[str, Any]]: ...
    def register_required_action(self, provider_id: str, name: str) -> None: ...
    def update_required_action(self, action: dict[str, Any]) -> None: ...
    def delete_required_action(self, alias: str) -> None: ...
    def get_user_profile(self) -> dict[str, Any]: ...
    def update_user_profile(self, profile: dict[str, Any]) -> None: ...
    def stored_user_profile(self) -> str | None: ...
    def delete_component(self, component_id: str) -> None: ...
    def get_localization_texts(self, locale: str) -> dict[str, str]: ...
    def set_localization_texts(self, locale: str, texts: dict[str, str]) -> None: ...
    def delete_localization_text(self, locale: str, key: str) -> None: ...
    def delete_localization_locale(self, locale: str) -> None: ...


@dataclass(frozen=True)
class Step:
    """One line of the plan: ``create …``, ``update …``, ``delete …`` (with ``apply``) or ``unchanged …``."""

    description: str
    apply: Callable[[], None] | None = None
    hint: str | None = None  # what the operator may want to do by hand, printed after the plan or the changes

    @property
    def changes(self) -> bool:
        return self.apply is not None


@dataclass(frozen=True)
class InstallSettings:
    """What install takes from the sidecar's settings."""

    admin_ui_client_id: str
    admin_ui_client_secret: str
    public_url: str


@dataclass
class Record:
    """What the realm had before install, kept in our flow's description for uninstall."""

    browser_flow: str
    login_theme: str | None
    required_action: str  # "absent", "disabled" or "enabled"
    # what existed before: "client:<id>", "attribute:<name>", "texts:<locale>" (the locale had texts of its own)
    kept: list[str] = field(default_factory=list)
    # the digest of Keycloak's default user profile when the realm had none stored (None: it had one)
    default_profile: str | None = None

    def text(self) -> str:
        data = {
            "browserFlow": self.browser_flow,
            "loginTheme": self.login_theme,
            "requiredAction": self.required_action,
            "kept": self.kept,
            "defaultProfile": self.default_profile,
        }
        return RECORD_MARK + json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def parse(cls, description: str | None) -> Record | None:
        if not description or RECORD_MARK not in description:
            return None
        try:
            data = json.loads(description.split(RECORD_MARK, 1)[1])
            return cls(
                browser_flow=str(data["browserFlow"]),
                login_theme=None if data["loginTheme"] is None else str(data["loginTheme"]),
                required_action=str(data["requiredAction"]),
                kept=[str(item) for item in data["kept"]],
                default_profile=None if data.get("defaultProfile") is None else str(data["defaultProfile"]),
            )
        except (ValueError, KeyError, TypeError):
            return None


# --- install ---------------------------------------------------------------------------------------------------


def plan_install(admin: RealmAdmin, realm: str, settings: InstallSettings, *, bind: bool = False) -> list[Step]:
    """The steps that make ``realm`` hold mfa-recovery (reads only). Raises :class:`InstallError` when the realm's
    browser flow has no OTP form."""
    representation = admin.get_realm()
    ours = _our_flow(admin)
    recorded = Record.parse(ours.get("description")) if ours else None
    record = recorded or _record_now(admin, representation, settings)
    return [
        _flow_step(admin, realm, ours, record, recorded is not None),
        *_bind_steps(admin, realm, representation, bind),
        _client_step(admin, realm, settings),
        _required_action_step(admin, realm),
        _profile_step(admin, realm),
        _theme_step(admin, realm, representation),
        *_text_steps(admin, realm),
    ]


def _our_flow(admin: RealmAdmin) -> dict[str, Any] | None:
    return next((flow for flow in admin.get_flows() if flow.get("alias") == FLOW_ALIAS), None)


def _record_now(admin: RealmAdmin, representation: dict[str, Any], settings: InstallSettings) -> Record:
    """The record of the realm as it is now (before install)."""
    bound = representation.get("browserFlow") or "browser"
    if bound == FLOW_ALIAS:  # ours is bound but lost its record: the flow Keycloak creates a realm with
        bound = "browser"
    action = _required_action(admin)
    kept = []
    if admin.find_client(settings.admin_ui_client_id) is not None:
        kept.append(f"client:{settings.admin_ui_client_id}")
    profile = admin.get_user_profile()
    if _profile_attribute(profile) is not None:
        kept.append(f"attribute:{SUPERVISOR}")
    kept += [f"texts:{locale}" for locale in TEXTS if admin.get_localization_texts(locale)]
    return Record(
        browser_flow=bound,
        login_theme=representation.get("loginTheme"),
        required_action="absent" if action is None else ("enabled" if action.get("enabled") else "disabled"),
        kept=kept,
        default_profile=None if admin.stored_user_profile() is not None else profile_digest(profile),
    )


def profile_digest(profile: dict[str, Any]) -> str:
    """A digest of a user profile, to tell whether it is still the one Keycloak gave the realm by default (16 hex
    digits: it tells changes apart, it guards nothing, and the record must fit a flow's description)."""
    canonical = json.dumps(profile, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _otp_form(executions: list[dict[str, Any]], flow_alias: str) -> tuple[str, dict[str, Any]]:
    """The first OTP form in a flow's executions and the alias of the (sub)flow that holds it."""
    parents: dict[int, str] = {0: flow_alias}
    for execution in executions:
        level = int(execution.get("level", 0))
        if execution.get("authenticationFlow"):
            parents[level + 1] = str(execution["displayName"])
        elif execution.get("providerId") == OTP_FORM:
            return parents[level], execution
    raise InstallError(
        f"the browser flow {flow_alias!r} has no OTP form ({OTP_FORM}): the MFA recovery step goes beside it; "
        "nothing was changed"
    )


def _siblings(executions: list[dict[str, Any]], otp: dict[str, Any]) -> list[dict[str, Any]]:
    """The executions after the OTP form in its own subflow, in order."""
    start = executions.index(otp)
    level = otp.get("level", 0)
    after: list[dict[str, Any]] = []
    for execution in executions[start + 1 :]:
        if execution.get("level", 0) < level:
            break
        if execution.get("level", 0) == level:
            after.append(execution)
    return after


def _flow_step(admin: RealmAdmin, realm: str, ours: dict[str, Any] | None, record: Record, recorded: bool) -> Step:
    if len(record.text()) > DESCRIPTION_LIMIT:
        raise InstallError(
            "the names of the browser flow and the login theme are too long to record; nothing was changed"
        )
    if ours is None:
        source = record.browser_flow
        subflow, _ = _otp_form(admin.get_executions(source), source)

        def create() -> None:
            admin.copy_flow(source, FLOW_ALIAS)
            _write_record(admin, record)
            _place_step(admin)

        where = FLOW_ALIAS if subflow == source else f"{FLOW_ALIAS} {subflow}"
        return Step(f"create flow {FLOW_ALIAS!r} in {realm} (copy of {source!r}, MFA recovery in {where!r})", create)
    executions = admin.get_executions(FLOW_ALIAS)
    _, otp = _otp_form(executions, FLOW_ALIAS)
    after = _siblings(executions, otp)
    placed = bool(after) and after[0].get("providerId") == AUTHENTICATOR
    placed = placed and after[0].get("requirement") == REQUIREMENT and otp.get("requirement") == REQUIREMENT
    if placed and recorded:
        return Step(f"unchanged flow {FLOW_ALIAS!r} in {realm}")
    what = [*([] if recorded else ["install record"]), *([] if placed else ["MFA recovery beside the OTP form"])]

    def update() -> None:
        if not recorded:  # a flow of that name without a record (made by hand): the realm as it is now
            _write_record(admin, record)
        _place_step(admin)

    return Step(f"update flow {FLOW_ALIAS!r} in {realm} ({', '.join(what)})", update)


def _write_record(admin: RealmAdmin, record: Record) -> None:
    flow = _our_flow(admin)
    if flow is None:
        raise InstallError(f"Keycloak did not create the flow {FLOW_ALIAS!r}")
    admin.update_flow({**flow, "description": record.text()})


def _place_step(admin: RealmAdmin) -> None:
    """Put our step right after the OTP form in our flow, both ALTERNATIVE."""
    subflow, otp = _otp_form(admin.get_executions(FLOW_ALIAS), FLOW_ALIAS)
    if not any(e.get("providerId") == AUTHENTICATOR for e in _siblings(admin.get_executions(FLOW_ALIAS), otp)):
        admin.add_execution(subflow, AUTHENTICATOR)
    executions = admin.get_executions(FLOW_ALIAS)
    _, otp = _otp_form(executions, FLOW_ALIAS)
    after = _siblings(executions, otp)
    step = next(e for e in after if e.get("providerId") == AUTHENTICATOR)
    for _ in range(after.index(step)):
        admin.raise_priority(str(step["id"]))
    # Read again: Keycloak's PUT of an execution also sets the priority it is given.
    executions = admin.get_executions(FLOW_ALIAS)
    for execution in executions:
        if execution["id"] in (otp["id"], step["id"]) and execution.get("requirement") != REQUIREMENT:
            admin.update_execution(FLOW_ALIAS, {**execution, "requirement": REQUIREMENT})


def _bind_steps(admin: RealmAdmin, realm: str, representation: dict[str, Any], bind: bool) -> list[Step]:
    bound = representation.get("browserFlow")
    if not bind and bound != FLOW_ALIAS:
        hint = (
            f"the flow {FLOW_ALIAS!r} is not bound: bind it with --bind, or in the admin console (realm {realm}, "
            "Authentication, the flow's menu, Bind flow, Browser flow)"
        )
        return [Step(f"unchanged browser flow of {realm} ({bound!r})", hint=hint)]
    if bound == FLOW_ALIAS:
        return [Step(f"unchanged browser flow of {realm} ({FLOW_ALIAS!r})")]
    return [
        Step(
            f"update browser flow of {realm}: {FLOW_ALIAS!r} (was {bound!r})",
            lambda: admin.update_realm({"browserFlow": FLOW_ALIAS}),
        )
    ]


def _client_step(admin: RealmAdmin, realm: str, settings: InstallSettings) -> Step:
    client_id = settings.admin_ui_client_id
    wanted = realm_client(settings, realm)
    existing = admin.find_client(client_id)
    if existing is None:
        return Step(f"create client {client_id} in {realm}", lambda: admin.create_client(wanted))
    uuid = str(existing["id"])
    differ = desk_operators.differences(existing, admin.get_client_secret(uuid), wanted)
    if not differ:
        return Step(f"unchanged client {client_id} in {realm}")
    attributes = {**(existing.get("attributes") or {}), **wanted["attributes"]}
    return Step(
        f"update client {client_id} in {realm} ({', '.join(differ)})",
        lambda: admin.update_client(uuid, {**wanted, "attributes": attributes}),
    )


def realm_client(settings: InstallSettings, realm: str) -> dict[str, Any]:
    """The admin UI's client as the demo realm has it, for ``realm``."""
    client = desk_operators.client_representation(
        settings.admin_ui_client_id, settings.admin_ui_client_secret, settings.public_url, realm
    )
    return {**client, "description": CLIENT_DESCRIPTION}


def _required_action(admin: RealmAdmin) -> dict[str, Any] | None:
    return next((a for a in admin.get_required_actions() if a.get("alias") == REQUIRED_ACTION), None)


def _required_action_step(admin: RealmAdmin, realm: str) -> Step:
    action = _required_action(admin)
    if action is None:
        return Step(
            f"create required action {REQUIRED_ACTION} in {realm}",
            lambda: admin.register_required_action(REQUIRED_ACTION, REQUIRED_ACTION_NAME),
        )
    if action.get("enabled"):
        return Step(f"unchanged required action {REQUIRED_ACTION} in {realm}")
    return Step(
        f"update required action {REQUIRED_ACTION} in {realm} (enable)",
        lambda: admin.update_required_action({**action, "enabled": True}),
    )


def supervisor_attribute(profile: dict[str, Any]) -> dict[str, Any]:
    """The demo realm's ``supervisor`` attribute: only admins edit it, users see it."""
    attribute: dict[str, Any] = {
        "name": SUPERVISOR,
        "displayName": "${mfa-recovery-supervisor-attribute}",
        "validations": {"length": {"max": 255}},
        "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
        "multivalued": False,
    }
    if any(group.get("name") == PROFILE_GROUP for group in profile.get("groups") or []):
        attribute["group"] = PROFILE_GROUP
    return attribute


def _profile_attribute(profile: dict[str, Any]) -> dict[str, Any] | None:
    return next((a for a in profile.get("attributes") or [] if a.get("name") == SUPERVISOR), None)


def _profile_step(admin: RealmAdmin, realm: str) -> Step:
    profile = admin.get_user_profile()
    if _profile_attribute(profile) is not None:
        return Step(f"unchanged user profile attribute {SUPERVISOR} in {realm}")
    changed = {**profile, "attributes": [*(profile.get("attributes") or []), supervisor_attribute(profile)]}
    return Step(f"create user profile attribute {SUPERVISOR} in {realm}", lambda: admin.update_user_profile(changed))


def _theme_step(admin: RealmAdmin, realm: str, representation: dict[str, Any]) -> Step:
    theme = representation.get("loginTheme")
    if theme == LOGIN_THEME:
        return Step(f"unchanged login theme of {realm} ({LOGIN_THEME})")
    return Step(
        f"update login theme of {realm}: {LOGIN_THEME} (was {theme or 'the default'})",
        lambda: admin.update_realm({"loginTheme": LOGIN_THEME}),
    )


def _text_steps(admin: RealmAdmin, realm: str) -> list[Step]:
    steps = []
    for locale, texts in TEXTS.items():
        have = admin.get_localization_texts(locale)
        missing = {key: text for key, text in texts.items() if have.get(key) != text}
        if not missing:
            steps.append(Step(f"unchanged localization texts {locale} in {realm}"))
            continue
        verb = "create" if not any(key in have for key in missing) else "update"

        def put(locale: str = locale, missing: dict[str, str] = missing) -> None:
            admin.set_localization_texts(locale, missing)

        steps.append(Step(f"{verb} localization texts {locale} in {realm} ({', '.join(sorted(missing))})", put))
    return steps


# --- uninstall -------------------------------------------------------------------------------------------------


def plan_uninstall(admin: RealmAdmin, realm: str, settings: InstallSettings) -> list[Step]:
    """The steps that take mfa-recovery out of ``realm`` again (reads only), as its flow's record says. Raises
    :class:`InstallError` when the realm has no flow of ours with a record."""
    ours = _our_flow(admin)
    record = Record.parse(ours.get("description")) if ours else None
    if ours is None or record is None:
        raise InstallError(
            f"realm {realm} has no flow {FLOW_ALIAS!r} with an install record: mfa-recovery was not installed "
            "there by this command; nothing was changed"
        )
    representation = admin.get_realm()
    steps = [
        _unbind_step(admin, realm, representation, record),
        _untheme_step(admin, realm, representation, record),
        _unclient_step(admin, realm, settings, record),
        _unaction_step(admin, realm, record),
        _unprofile_step(admin, realm, record),
        *_untext_steps(admin, realm, record),
    ]
    flow_id = str(ours["id"])
    steps.append(Step(f"delete flow {FLOW_ALIAS!r} in {realm}", lambda: admin.delete_flow(flow_id)))
    return steps


def _unbind_step(admin: RealmAdmin, realm: str, representation: dict[str, Any], record: Record) -> Step:
    if representation.get("browserFlow") != FLOW_ALIAS:
        return Step(f"unchanged browser flow of {realm} ({representation.get('browserFlow')!r})")
    aliases = {flow.get("alias") for flow in admin.get_flows()}
    previous = record.browser_flow if record.browser_flow in aliases else "browser"
    return Step(
        f"update browser flow of {realm}: {previous!r} (was {FLOW_ALIAS!r})",
        lambda: admin.update_realm({"browserFlow": previous}),
    )


def _untheme_step(admin: RealmAdmin, realm: str, representation: dict[str, Any], record: Record) -> Step:
    theme = representation.get("loginTheme")
    if theme != LOGIN_THEME or record.login_theme == LOGIN_THEME:
        return Step(f"unchanged login theme of {realm} ({theme or 'the default'})")
    previous = record.login_theme or ""  # Keycloak cannot unset it; "" is its default theme
    return Step(
        f"update login theme of {realm}: {previous or 'the default'} (was {LOGIN_THEME})",
        lambda: admin.update_realm({"loginTheme": previous}),
    )


def _unclient_step(admin: RealmAdmin, realm: str, settings: InstallSettings, record: Record) -> Step:
    client_id = settings.admin_ui_client_id
    existing = admin.find_client(client_id)
    if f"client:{client_id}" in record.kept or existing is None:
        return Step(f"unchanged client {client_id} in {realm}")
    uuid = str(existing["id"])
    return Step(f"delete client {client_id} in {realm}", lambda: admin.delete_client(uuid))


def _unaction_step(admin: RealmAdmin, realm: str, record: Record) -> Step:
    action = _required_action(admin)
    if action is None or record.required_action == "enabled":
        return Step(f"unchanged required action {REQUIRED_ACTION} in {realm}")
    if record.required_action == "disabled":
        if not action.get("enabled"):
            return Step(f"unchanged required action {REQUIRED_ACTION} in {realm}")
        return Step(
            f"update required action {REQUIRED_ACTION} in {realm} (disable)",
            lambda: admin.update_required_action({**action, "enabled": False}),
        )
    return Step(
        f"delete required action {REQUIRED_ACTION} in {realm}",
        lambda: admin.delete_required_action(REQUIRED_ACTION),
    )


def _unprofile_step(admin: RealmAdmin, realm: str, record: Record) -> Step:
    """Take the attribute out again. A realm that had Keycloak's default profile (none stored) and has nothing else
    changed since gets its stored profile deleted, so that it is back on the default, as it was."""
    profile = admin.get_user_profile()
    if f"attribute:{SUPERVISOR}" in record.kept or _profile_attribute(profile) is None:
        return Step(f"unchanged user profile attribute {SUPERVISOR} in {realm}")
    attributes = [a for a in profile.get("attributes") or [] if a.get("name") != SUPERVISOR]
    changed = {**profile, "attributes": attributes}
    stored = admin.stored_user_profile()
    if stored is not None and record.default_profile == profile_digest(changed):
        return Step(
            f"delete user profile attribute {SUPERVISOR} in {realm} (back to Keycloak's default profile)",
            lambda: admin.delete_component(stored),
        )
    return Step(f"delete user profile attribute {SUPERVISOR} in {realm}", lambda: admin.update_user_profile(changed))


def _untext_steps(admin: RealmAdmin, realm: str, record: Record) -> list[Step]:
    """Delete our texts; a locale that had none of its own before install goes altogether once it is empty (Keycloak
    keeps an empty locale otherwise)."""
    steps = []
    for locale, texts in TEXTS.items():
        have = admin.get_localization_texts(locale)
        present = [key for key in texts if key in have]
        if not present:
            steps.append(Step(f"unchanged localization texts {locale} in {realm}"))
            continue

        def delete(locale: str = locale, present: list[str] = present) -> None:
            for key in present:
                admin.delete_localization_text(locale, key)
            if f"texts:{locale}" not in record.kept and not admin.get_localization_texts(locale):
                admin.delete_localization_locale(locale)

        steps.append(Step(f"delete localization texts {locale} in {realm} ({', '.join(present)})", delete))
    return steps


# --- the service account's grant (master) ----------------------------------------------------------------------


def plan_grant(master: MasterAdmin, client_id: str, secret: str, realm: str) -> Step:
    """The step that lets the sidecar's service account (client ``client_id`` in master) read ``realm``:
    :func:`.service_account.grant`. Reads only."""

    def apply() -> None:
        grant(master, client_id, secret, [realm])

    realm_client_uuid = master.get_client_id(f"{realm}-realm")
    if realm_client_uuid is None:
        raise InstallError(f"Keycloak has no realm {realm!r} (no client {realm}-realm in {SERVICE_REALM})")
    uuid = master.get_client_id(client_id)
    if uuid is None:
        return Step(f"create client {client_id} in {SERVICE_REALM} with {', '.join(ROLES)} on {realm}", apply)
    account = master.get_client_service_account_user(uuid)["id"]
    held = {role["name"] for role in master.get_client_roles_of_user(account, realm_client_uuid)}
    missing = [role for role in ROLES if role not in held]
    if not missing:
        return Step(f"unchanged grant of {', '.join(ROLES)} on {realm} to {client_id} in {SERVICE_REALM}")
    return Step(f"update grant: {', '.join(missing)} on {realm} to {client_id} in {SERVICE_REALM}", apply)


def apply_steps(steps: Iterable[Step]) -> list[str]:
    """Apply every step that changes something, in order; the descriptions of those applied."""
    done = []
    for step in steps:
        if step.apply is not None:
            step.apply()
            done.append(step.description)
    return done


# --- Keycloak's admin REST API ---------------------------------------------------------------------------------


class KeycloakRealmAdmin:
    """:class:`RealmAdmin` over python-keycloak's connection (an administrator signed in to master), on ``realm``."""

    def __init__(self, connection: Any, realm: str) -> None:
        self._connection = connection
        self._base = f"admin/realms/{quote(realm, safe='')}"

    def _path(self, *parts: str) -> str:
        return "/".join([self._base, *(quote(part, safe="") for part in parts)])

    def _get(self, *parts: str, **params: Any) -> Any:
        return _answer(self._connection.raw_get(self._path(*parts), **params))

    def _post(self, parts: Iterable[str], data: Any) -> None:
        _answer(self._connection.raw_post(self._path(*parts), data=json.dumps(data)))

    def _put(self, parts: Iterable[str], data: Any) -> None:
        _answer(self._connection.raw_put(self._path(*parts), data=json.dumps(data)))

    def _delete(self, *parts: str) -> None:
        _answer(self._connection.raw_delete(self._path(*parts)))

    def get_realm(self) -> dict[str, Any]:
        return dict(self._get())

    def update_realm(self, changes: dict[str, Any]) -> None:
        self._put([], changes)

    def get_flows(self) -> list[dict[str, Any]]:
        return list(self._get("authentication", "flows"))

    def copy_flow(self, alias: str, new_name: str) -> None:
        self._post(["authentication", "flows", alias, "copy"], {"newName": new_name})

    def update_flow(self, flow: dict[str, Any]) -> None:
        self._put(["authentication", "flows", str(flow["id"])], flow)

    def delete_flow(self, flow_id: str) -> None:
        self._delete("authentication", "flows", flow_id)

    def get_executions(self, flow_alias: str) -> list[dict[str, Any]]:
        return list(self._get("authentication", "flows", flow_alias, "executions"))

    def add_execution(self, flow_alias: str, provider: str) -> None:
        self._post(["authentication", "flows", flow_alias, "executions", "execution"], {"provider": provider})

    def update_execution(self, flow_alias: str, execution: dict[str, Any]) -> None:
        self._put(["authentication", "flows", flow_alias, "executions"], execution)

    def raise_priority(self, execution_id: str) -> None:
        self._post(["authentication", "executions", execution_id, "raise-priority"], {})

    def find_client(self, client_id: str) -> dict[str, Any] | None:
        found = self._get("clients", clientId=client_id)
        return next((dict(client) for client in found if client.get("clientId") == client_id), None)

    def get_client_secret(self, uuid: str) -> str | None:
        value = self._get("clients", uuid, "client-secret").get("value")
        return None if value is None else str(value)

    def create_client(self, client: dict[str, Any]) -> None:
        self._post(["clients"], client)

    def update_client(self, uuid: str, client: dict[str, Any]) -> None:
        self._put(["clients", uuid], client)

    def delete_client(self, uuid: str) -> None:
        self._delete("clients", uuid)

    def get_required_actions(self) -> list[dict[str, Any]]:
        return list(self._get("authentication", "required-actions"))

    def register_required_action(self, provider_id: str, name: str) -> None:
        self._post(["authentication", "register-required-action"], {"providerId": provider_id, "name": name})

    def update_required_action(self, action: dict[str, Any]) -> None:
        self._put(["authentication", "required-actions", str(action["alias"])], action)

    def delete_required_action(self, alias: str) -> None:
        self._delete("authentication", "required-actions", alias)

    def get_user_profile(self) -> dict[str, Any]:
        return dict(self._get("users", "profile"))

    def update_user_profile(self, profile: dict[str, Any]) -> None:
        self._put(["users", "profile"], profile)

    def get_localization_texts(self, locale: str) -> dict[str, str]:
        return {str(key): str(text) for key, text in self._get("localization", locale).items()}

    def set_localization_texts(self, locale: str, texts: dict[str, str]) -> None:
        self._post(["localization", locale], texts)

    def delete_localization_text(self, locale: str, key: str) -> None:
        self._delete("localization", locale, key)

    def delete_localization_locale(self, locale: str) -> None:
        self._delete("localization", locale)

    def stored_user_profile(self) -> str | None:
        found = self._get("components", type=USER_PROFILE_PROVIDER)
        return str(found[0]["id"]) if found else None

    def delete_component(self, component_id: str) -> None:
        self._delete("components", component_id)


def _answer(response: Any) -> Any:
    """The JSON of a successful answer (``{}`` when it has none); a KeycloakError otherwise."""
    if response.status_code >= 400:
        raise KeycloakError(
            error_message=response.text or response.reason,
            response_code=response.status_code,
            response_body=response.content,
        )
    if response.status_code == 204 or not response.content:
        return {}
    return response.json()
