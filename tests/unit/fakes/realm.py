"""One realm of Keycloak 26 in memory, as its admin REST API shows it to
:class:`mfa_recovery.installation.realm_install.RealmAdmin`: the realm's bindings and login theme, authentication
flows with executions and nested subflows (copied, deleted and reordered as Keycloak does), clients with their
secrets, required actions, the user profile, localization texts. ``writes`` names every change made."""

from __future__ import annotations

import copy
import itertools
from typing import Any

# Authenticators Keycloak knows (POST …/executions/execution refuses any other provider, as Keycloak does).
PROVIDERS = {
    "auth-cookie",
    "auth-spnego",
    "identity-provider-redirector",
    "auth-username-password-form",
    "conditional-user-configured",
    "auth-otp-form",
    "webauthn-authenticator",
    "auth-recovery-authn-code-form",
    "mfa-recovery",
}


DEFAULT_PROFILE: dict[str, Any] = {  # Keycloak's profile of a realm that has stored none
    "attributes": [{"name": name, "displayName": "${" + name + "}"} for name in ("username", "email")],
    "groups": [{"name": "user-metadata", "displayHeader": "User metadata"}],
}


class KeycloakRefused(Exception):
    """What Keycloak answers with 400, 404 or 409."""


class FakeRealm:
    def __init__(self, browser_flow: str = "browser", login_theme: str | None = None) -> None:
        self.realm: dict[str, Any] = {"browserFlow": browser_flow}
        if login_theme is not None:
            self.realm["loginTheme"] = login_theme
        self.flows: dict[str, dict[str, Any]] = {}
        self.executions: dict[str, dict[str, Any]] = {}
        self.clients: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, str] = {}
        self.required_actions: list[dict[str, Any]] = [
            _action("CONFIGURE_TOTP", "Configure OTP", 10),
            _action("UPDATE_PASSWORD", "Update Password", 20),
            _action("VERIFY_EMAIL", "Verify Email", 30),
        ]
        self.profile: dict[str, Any] = copy.deepcopy(DEFAULT_PROFILE)
        self.stored_profile: str | None = None  # the component id once a profile is stored (Keycloak's default before)
        self.texts: dict[str, dict[str, str]] = {}
        self.writes: list[str] = []
        self._ids = itertools.count(1)

    # --- building a realm (no writes) ---

    def flow(self, alias: str, *, built_in: bool = False, top_level: bool = True, description: str = "") -> str:
        flow_id = f"flow-{next(self._ids)}"
        self.flows[flow_id] = {
            "id": flow_id,
            "alias": alias,
            "description": description,
            "providerId": "basic-flow",
            "topLevel": top_level,
            "builtIn": built_in,
        }
        return flow_id

    def step(self, flow_id: str, requirement: str, priority: int, authenticator: str = "", sub: str = "") -> str:
        execution_id = f"exec-{next(self._ids)}"
        self.executions[execution_id] = {
            "id": execution_id,
            "parentFlow": flow_id,
            "authenticator": authenticator or None,
            "flowId": sub or None,
            "requirement": requirement,
            "priority": priority,
        }
        return execution_id

    def snapshot(self) -> dict[str, Any]:
        """Everything an administrator could see of the realm."""
        return copy.deepcopy(
            {
                "realm": self.realm,
                "flows": self.flows,
                "executions": self.executions,
                "clients": self.clients,
                "secrets": self.secrets,
                "required_actions": self.required_actions,
                "profile": self.profile,
                "stored_profile": self.stored_profile is not None,
                "texts": self.texts,  # as Keycloak: a locale whose texts were all deleted is still there, empty
            }
        )

    def by_alias(self, alias: str) -> dict[str, Any]:
        found = next((flow for flow in self.flows.values() if flow["alias"] == alias), None)
        if found is None:
            raise KeycloakRefused(f"404 flow not found: {alias}")
        return found

    def children(self, flow_id: str) -> list[dict[str, Any]]:
        """A flow's executions in Keycloak's order (by priority)."""
        return sorted((e for e in self.executions.values() if e["parentFlow"] == flow_id), key=_order)

    def outline(self, alias: str) -> list[tuple[int, str, str]]:
        """(level, provider or subflow alias, requirement) of every execution of a flow, as the console shows it."""
        return [
            (e["level"], e.get("providerId") or e["displayName"], e["requirement"]) for e in self.get_executions(alias)
        ]

    # --- the realm ---

    def get_realm(self) -> dict[str, Any]:
        return {"realm": "corp", **copy.deepcopy(self.realm)}

    def update_realm(self, changes: dict[str, Any]) -> None:
        if "browserFlow" in changes:
            self.by_alias(changes["browserFlow"])
        self.realm.update(copy.deepcopy(changes))
        self.writes.append(f"update_realm {sorted(changes)}")

    # --- flows ---

    def get_flows(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(flow) for flow in self.flows.values() if flow["topLevel"]]

    def copy_flow(self, alias: str, new_name: str) -> None:
        if any(flow["alias"] == new_name for flow in self.flows.values()):
            raise KeycloakRefused("409 New flow alias name already exists")
        source = self.by_alias(alias)
        copied = self.flow(new_name, description=source["description"])
        self._copy_executions(source["id"], copied, new_name)
        self.writes.append(f"copy_flow {alias} {new_name}")

    def _copy_executions(self, source: str, target: str, new_name: str) -> None:
        for execution in self.children(source):
            sub = ""
            if execution["flowId"]:
                subflow = self.flows[execution["flowId"]]
                sub = self.flow(f"{new_name} {subflow['alias']}", top_level=False, description=subflow["description"])
                self._copy_executions(subflow["id"], sub, new_name)
            self.step(target, execution["requirement"], execution["priority"], execution["authenticator"] or "", sub)

    def update_flow(self, flow: dict[str, Any]) -> None:
        stored = self.flows[flow["id"]]
        stored["alias"], stored["description"] = flow["alias"], flow.get("description")
        self.writes.append(f"update_flow {flow['alias']}")

    def delete_flow(self, flow_id: str) -> None:
        flow = self.flows[flow_id]
        if flow["builtIn"]:
            raise KeycloakRefused("400 Can't delete built in flow")
        if self.realm.get("browserFlow") == flow["alias"]:
            raise KeycloakRefused("400 Cannot delete flow, it is used as the realm's browser flow")
        self._delete_deep(flow_id)
        self.writes.append(f"delete_flow {flow['alias']}")

    def _delete_deep(self, flow_id: str) -> None:
        for execution in self.children(flow_id):
            if execution["flowId"]:
                self._delete_deep(execution["flowId"])
            del self.executions[execution["id"]]
        del self.flows[flow_id]

    def get_executions(self, flow_alias: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        self._recurse(self.by_alias(flow_alias)["id"], 0, found)
        return found

    def _recurse(self, flow_id: str, level: int, found: list[dict[str, Any]]) -> None:
        for index, execution in enumerate(self.children(flow_id)):
            info: dict[str, Any] = {
                "id": execution["id"],
                "requirement": execution["requirement"],
                "level": level,
                "index": index,
                "priority": execution["priority"],
            }
            if execution["flowId"]:
                subflow = self.flows[execution["flowId"]]
                info.update(displayName=subflow["alias"], authenticationFlow=True, flowId=subflow["id"])
                found.append(info)
                self._recurse(subflow["id"], level + 1, found)
            else:
                info.update(displayName=execution["authenticator"], providerId=execution["authenticator"])
                found.append(info)

    def add_execution(self, flow_alias: str, provider: str) -> None:
        parent = self.by_alias(flow_alias)
        if parent["builtIn"]:
            raise KeycloakRefused("400 It is illegal to add execution to a built in flow")
        if provider not in PROVIDERS:
            raise KeycloakRefused(f"400 No authentication provider found for id: {provider}")
        siblings = self.children(parent["id"])
        priority = siblings[-1]["priority"] + 1 if siblings else 0
        self.step(parent["id"], "DISABLED", priority, provider)
        self.writes.append(f"add_execution {flow_alias} {provider}")

    def update_execution(self, flow_alias: str, execution: dict[str, Any]) -> None:
        """As Keycloak: the priority given (0 when left out) and the requirement replace the stored ones."""
        self.by_alias(flow_alias)
        stored = self.executions[execution["id"]]
        stored["priority"] = execution.get("priority", 0)
        stored["requirement"] = execution["requirement"]
        self.writes.append(f"update_execution {execution['id']} {execution['requirement']}")

    def raise_priority(self, execution_id: str) -> None:
        execution = self.executions[execution_id]
        if self.flows[execution["parentFlow"]]["builtIn"]:
            raise KeycloakRefused("400 It is illegal to modify execution in a built in flow")
        siblings = self.children(execution["parentFlow"])
        position = [e["id"] for e in siblings].index(execution_id)
        if position > 0:
            previous = siblings[position - 1]
            previous["priority"], execution["priority"] = execution["priority"], previous["priority"]
        self.writes.append(f"raise_priority {execution['authenticator']}")

    # --- clients ---

    def find_client(self, client_id: str) -> dict[str, Any] | None:
        found = next((c for c in self.clients.values() if c["clientId"] == client_id), None)
        return copy.deepcopy(found)

    def get_client_secret(self, uuid: str) -> str | None:
        return self.secrets.get(uuid)

    def create_client(self, client: dict[str, Any]) -> None:
        if self.find_client(client["clientId"]) is not None:
            raise KeycloakRefused("409 Client already exists")
        uuid = f"client-{next(self._ids)}"
        stored = copy.deepcopy(client)
        self.secrets[uuid] = stored.pop("secret")
        self.clients[uuid] = {**stored, "id": uuid}
        self.writes.append(f"create_client {client['clientId']}")

    def update_client(self, uuid: str, client: dict[str, Any]) -> None:
        stored = copy.deepcopy(client)
        if "secret" in stored:
            self.secrets[uuid] = stored.pop("secret")
        self.clients[uuid].update(stored)
        self.writes.append(f"update_client {client['clientId']}")

    def delete_client(self, uuid: str) -> None:
        client = self.clients.pop(uuid)
        self.secrets.pop(uuid, None)
        self.writes.append(f"delete_client {client['clientId']}")

    # --- required actions ---

    def get_required_actions(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.required_actions)

    def register_required_action(self, provider_id: str, name: str) -> None:
        if any(action["alias"] == provider_id for action in self.required_actions):
            raise KeycloakRefused("409 required action exists")
        priority = self.required_actions[-1]["priority"] + 1 if self.required_actions else 0
        self.required_actions.append(_action(provider_id, name, priority))
        self.writes.append(f"register_required_action {provider_id}")

    def update_required_action(self, action: dict[str, Any]) -> None:
        index = next(i for i, a in enumerate(self.required_actions) if a["alias"] == action["alias"])
        self.required_actions[index] = copy.deepcopy(action)
        self.writes.append(f"update_required_action {action['alias']} enabled={action['enabled']}")

    def delete_required_action(self, alias: str) -> None:
        before = len(self.required_actions)
        self.required_actions = [a for a in self.required_actions if a["alias"] != alias]
        if len(self.required_actions) == before:
            raise KeycloakRefused("404 Failed to find required action")
        self.writes.append(f"delete_required_action {alias}")

    # --- user profile ---

    def get_user_profile(self) -> dict[str, Any]:
        return copy.deepcopy(self.profile)

    def update_user_profile(self, profile: dict[str, Any]) -> None:
        self.profile = copy.deepcopy(profile)
        self.stored_profile = self.stored_profile or f"component-{next(self._ids)}"
        self.writes.append("update_user_profile")

    def stored_user_profile(self) -> str | None:
        return self.stored_profile

    def delete_component(self, component_id: str) -> None:
        if component_id != self.stored_profile:
            raise KeycloakRefused("404 Could not find component")
        self.stored_profile = None
        self.profile = copy.deepcopy(DEFAULT_PROFILE)
        self.writes.append("delete_component user profile")

    # --- localization ---

    def get_localization_texts(self, locale: str) -> dict[str, str]:
        return dict(self.texts.get(locale, {}))

    def set_localization_texts(self, locale: str, texts: dict[str, str]) -> None:
        self.texts.setdefault(locale, {}).update(texts)
        self.writes.append(f"set_localization_texts {locale} {sorted(texts)}")

    def delete_localization_text(self, locale: str, key: str) -> None:
        if key not in self.texts.get(locale, {}):
            raise KeycloakRefused(f"404 no text {key}")
        del self.texts[locale][key]
        self.writes.append(f"delete_localization_text {locale} {key}")

    def delete_localization_locale(self, locale: str) -> None:
        if locale not in self.texts:
            raise KeycloakRefused(f"404 No localization texts for locale {locale} found.")
        del self.texts[locale]
        self.writes.append(f"delete_localization_locale {locale}")


def _action(alias: str, name: str, priority: int) -> dict[str, Any]:
    return {
        "alias": alias,
        "name": name,
        "providerId": alias,
        "enabled": True,
        "defaultAction": False,
        "priority": priority,
        "config": {},
    }


def _order(execution: dict[str, Any]) -> tuple[int, int]:
    return execution["priority"], int(execution["id"].split("-")[1])


def keycloak_browser_flow(realm: FakeRealm) -> None:
    """Keycloak's built-in "browser" flow: cookie, Kerberos, identity provider, then the "forms" subflow with the
    password form and the conditional OTP subflow (the OTP form REQUIRED)."""
    browser = realm.flow("browser", built_in=True, description="browser based authentication")
    realm.step(browser, "ALTERNATIVE", 10, "auth-cookie")
    realm.step(browser, "DISABLED", 20, "auth-spnego")
    realm.step(browser, "ALTERNATIVE", 25, "identity-provider-redirector")
    forms = realm.flow("forms", built_in=True, top_level=False, description="Username, password, otp and other")
    realm.step(browser, "ALTERNATIVE", 30, sub=forms)
    realm.step(forms, "REQUIRED", 10, "auth-username-password-form")
    otp = realm.flow("Browser - Conditional OTP", built_in=True, top_level=False, description="Flow to determine")
    realm.step(forms, "CONDITIONAL", 20, sub=otp)
    realm.step(otp, "REQUIRED", 10, "conditional-user-configured")
    realm.step(otp, "REQUIRED", 20, "auth-otp-form")


def default_realm() -> FakeRealm:
    """A realm as Keycloak creates it: the built-in browser flow bound, no login theme."""
    realm = FakeRealm()
    keycloak_browser_flow(realm)
    return realm


def corporate_realm(*, otp: bool = True) -> FakeRealm:
    """A realm with its own browser flow "corporate login" bound (the built-in one is there too, unbound): cookie,
    then forms with the password and a conditional second factor subflow of OTP (ALTERNATIVE) and WebAuthn
    (DISABLED); its own login theme. ``otp=False``: the second factor is WebAuthn alone."""
    realm = FakeRealm(browser_flow="corporate login", login_theme="corporate")
    keycloak_browser_flow(realm)
    top = realm.flow("corporate login", description="Corporate sign-in")
    realm.step(top, "ALTERNATIVE", 10, "auth-cookie")
    forms = realm.flow("corporate forms", top_level=False)
    realm.step(top, "ALTERNATIVE", 20, sub=forms)
    realm.step(forms, "REQUIRED", 10, "auth-username-password-form")
    second = realm.flow("corporate second factor", top_level=False)
    realm.step(forms, "CONDITIONAL", 20, sub=second)
    realm.step(second, "REQUIRED", 10, "conditional-user-configured")
    if otp:
        realm.step(second, "ALTERNATIVE", 20, "auth-otp-form")
    realm.step(second, "DISABLED" if otp else "REQUIRED", 30, "webauthn-authenticator")
    return realm
