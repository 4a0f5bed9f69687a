"""``mfa-recovery realm install|uninstall``: mfa-recovery goes into an existing realm beside its own browser flow's
OTP form (in a copy of that flow), a second install changes nothing, --dry-run changes nothing, a realm without an
OTP form is refused untouched, and uninstall leaves the realm exactly as it was before install."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from keycloak.exceptions import KeycloakError

from mfa_recovery import cli as cli_module
from mfa_recovery.cli import CliContext, cli
from mfa_recovery.config import DEVELOPMENT_ADMIN_UI_CLIENT_SECRET
from mfa_recovery.installation.realm_install import (
    AUTHENTICATOR,
    FLOW_ALIAS,
    TEXTS,
    InstallError,
    InstallSettings,
    KeycloakRealmAdmin,
    RealmAdmin,
    Record,
    Step,
    apply_steps,
    plan_grant,
    plan_install,
    plan_uninstall,
    profile_digest,
    realm_client,
    supervisor_attribute,
)

from .fakes.keycloak import FakeMaster
from .fakes.realm import DEFAULT_PROFILE, FakeRealm, corporate_realm, default_realm
from .support import DEV_ENV

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = InstallSettings(
    admin_ui_client_id="mfa-recovery-admin", admin_ui_client_secret="s" * 40, public_url="https://mfa.example.org"
)


def install(realm: RealmAdmin, *, bind: bool = False) -> list[str]:
    return apply_steps(plan_install(realm, "corp", SETTINGS, bind=bind))


def uninstall(realm: RealmAdmin) -> list[str]:
    return apply_steps(plan_uninstall(realm, "corp", SETTINGS))


def changes(steps: list[Step]) -> list[str]:
    return [step.description for step in steps if step.changes]


# --- the flow --------------------------------------------------------------------------------------------------


def test_install_puts_the_recovery_step_beside_the_otp_form_of_a_custom_browser_flow() -> None:
    realm = corporate_realm()
    theirs = realm.outline("corporate login")
    install(realm)
    assert realm.outline(FLOW_ALIAS) == [
        (0, "auth-cookie", "ALTERNATIVE"),
        (0, f"{FLOW_ALIAS} corporate forms", "ALTERNATIVE"),
        (1, "auth-username-password-form", "REQUIRED"),
        (1, f"{FLOW_ALIAS} corporate second factor", "CONDITIONAL"),
        (2, "conditional-user-configured", "REQUIRED"),
        (2, "auth-otp-form", "ALTERNATIVE"),
        (2, AUTHENTICATOR, "ALTERNATIVE"),
        (2, "webauthn-authenticator", "DISABLED"),
    ]
    assert realm.outline("corporate login") == theirs, "the realm's own flow is not touched"
    assert realm.realm["browserFlow"] == "corporate login", "bound only with --bind"


def test_install_on_keycloaks_built_in_browser_flow_makes_the_otp_form_alternative_in_the_copy_only() -> None:
    realm = default_realm()
    builtin = realm.outline("browser")
    install(realm)
    copy = realm.outline(FLOW_ALIAS)
    assert copy[-3:] == [
        (2, "conditional-user-configured", "REQUIRED"),
        (2, "auth-otp-form", "ALTERNATIVE"),
        (2, AUTHENTICATOR, "ALTERNATIVE"),
    ]
    assert (1, f"{FLOW_ALIAS} Browser - Conditional OTP", "CONDITIONAL") in copy
    assert realm.outline("browser") == builtin
    assert ("auth-otp-form", "REQUIRED") in [(provider, req) for _, provider, req in builtin]


def test_a_browser_flow_that_has_the_recovery_step_already_is_copied_with_one_step_of_ours() -> None:
    realm = corporate_realm()
    second = realm.by_alias("corporate second factor")["id"]
    realm.step(second, "ALTERNATIVE", 40, AUTHENTICATOR)
    install(realm)
    order = [provider for _, provider, _ in realm.outline(FLOW_ALIAS)]
    assert order.count(AUTHENTICATOR) == 1
    assert order[-3:] == ["auth-otp-form", AUTHENTICATOR, "webauthn-authenticator"]


def test_the_flow_records_what_uninstall_needs_in_its_description() -> None:
    realm = corporate_realm()
    install(realm)
    record = Record.parse(realm.by_alias(FLOW_ALIAS)["description"])
    assert record == Record(browser_flow="corporate login", login_theme="corporate", required_action="absent",
                            default_profile=profile_digest(DEFAULT_PROFILE))  # fmt: skip
    assert len(realm.by_alias(FLOW_ALIAS)["description"]) <= 255


def test_a_realm_whose_browser_flow_has_no_otp_form_is_refused_and_nothing_changes() -> None:
    realm = corporate_realm(otp=False)
    before = realm.snapshot()
    with pytest.raises(
        InstallError, match="'corporate login' has no OTP form \\(auth-otp-form\\).*nothing was changed"
    ):
        plan_install(realm, "corp", SETTINGS, bind=True)
    assert realm.writes == [] and realm.snapshot() == before


def test_a_flow_of_ours_that_lost_its_step_gets_it_back() -> None:
    realm = corporate_realm()
    install(realm)
    step = next(e for e in realm.get_executions(FLOW_ALIAS) if e.get("providerId") == AUTHENTICATOR)
    del realm.executions[step["id"]]
    steps = plan_install(realm, "corp", SETTINGS)
    assert changes(steps) == [f"update flow {FLOW_ALIAS!r} in corp (MFA recovery beside the OTP form)"]
    apply_steps(steps)
    assert [p for _, p, _ in realm.outline(FLOW_ALIAS)][-3:] == [
        "auth-otp-form",
        AUTHENTICATOR,
        "webauthn-authenticator",
    ]


def test_a_flow_of_ours_without_a_record_gets_one_so_that_uninstall_works() -> None:
    realm = corporate_realm()
    install(realm, bind=True)
    realm.flows[realm.by_alias(FLOW_ALIAS)["id"]]["description"] = "edited by hand"
    steps = plan_install(realm, "corp", SETTINGS, bind=True)
    assert changes(steps) == [f"update flow {FLOW_ALIAS!r} in corp (install record)"]
    apply_steps(steps)
    record = Record.parse(realm.by_alias(FLOW_ALIAS)["description"])
    assert record is not None and record.browser_flow == "browser", "ours is bound: Keycloak's own flow"
    uninstall(realm)
    assert realm.realm["browserFlow"] == "browser" and FLOW_ALIAS not in {f["alias"] for f in realm.flows.values()}


def test_install_refuses_a_realm_keycloak_does_not_have() -> None:
    master = FakeMaster(("corp",))
    with pytest.raises(InstallError, match="Keycloak has no realm 'nosuch'"):
        plan_grant(master, "mfa-recovery-sidecar", "s" * 32, "nosuch")
    assert master.clients.keys() == {"corp-realm"}


# --- the rest of what install adds -----------------------------------------------------------------------------


def test_install_adds_the_client_the_required_action_the_attribute_the_theme_and_the_texts() -> None:
    realm = corporate_realm()
    done = install(realm)
    assert done == [
        f"create flow {FLOW_ALIAS!r} in corp (copy of 'corporate login', MFA recovery in "
        f"'{FLOW_ALIAS} corporate second factor')",
        "create client mfa-recovery-admin in corp",
        "create required action mfa-recovery-setup in corp",
        "create user profile attribute supervisor in corp",
        "update login theme of corp: mfa-recovery (was corporate)",
        "create localization texts en in corp (mfa-recovery-backup-codes-display-name, "
        "mfa-recovery-backup-codes-help-text, mfa-recovery-supervisor-attribute)",
        "create localization texts nl in corp (mfa-recovery-backup-codes-display-name, "
        "mfa-recovery-backup-codes-help-text, mfa-recovery-supervisor-attribute)",
    ]
    client = realm.find_client("mfa-recovery-admin")
    assert client is not None
    assert client["redirectUris"] == ["https://mfa.example.org/ui/realms/corp/callback"]
    assert client["attributes"]["post.logout.redirect.uris"] == "https://mfa.example.org/ui/realms/corp/signed-out"
    assert realm.secrets[client["id"]] == "s" * 40
    assert realm.required_actions[-1]["alias"] == "mfa-recovery-setup" and realm.required_actions[-1]["enabled"]
    assert realm.profile["attributes"][-1]["name"] == "supervisor"
    assert realm.profile["attributes"][-1]["group"] == "user-metadata"
    assert realm.realm["loginTheme"] == "mfa-recovery"
    assert realm.texts == TEXTS


def test_what_install_adds_is_what_the_demo_realm_carries() -> None:
    demo = json.loads((ROOT / "realm-config" / "acme-realm.json").read_text(encoding="utf-8"))
    assert demo["loginTheme"] == "mfa-recovery"
    assert demo["localizationTexts"] == TEXTS
    [action] = [a for a in demo["requiredActions"] if a["providerId"] == "mfa-recovery-setup"]
    assert action["enabled"] and action["name"] == "Set up account recovery"
    profile = json.loads(
        demo["components"]["org.keycloak.userprofile.UserProfileProvider"][0]["config"]["kc.user.profile.config"][0]
    )
    [attribute] = [a for a in profile["attributes"] if a["name"] == "supervisor"]
    assert supervisor_attribute(profile) == attribute
    [client] = [c for c in demo["clients"] if c["clientId"] == "mfa-recovery-admin"]
    ours = realm_client(SETTINGS, "acme")
    for key, value in client.items():
        if key not in ("secret", "redirectUris", "attributes"):
            assert ours[key] == value, key
    assert ours["attributes"]["pkce.code.challenge.method"] == client["attributes"]["pkce.code.challenge.method"]
    flows = {flow["alias"]: flow for flow in demo["authenticationFlows"]}
    steps = flows["mfa-browser 2fa"]["authenticationExecutions"]
    otp, ours_step = (next(s for s in steps if s.get("authenticator") == p) for p in ("auth-otp-form", AUTHENTICATOR))
    assert otp["requirement"] == ours_step["requirement"] == "ALTERNATIVE"
    assert steps.index(ours_step) == steps.index(otp) + 1


def test_things_that_exist_already_are_kept_and_left_by_uninstall() -> None:
    realm = corporate_realm()
    action = {**realm.required_actions[0], "alias": "mfa-recovery-setup", "providerId": "mfa-recovery-setup"}
    realm.required_actions.append({**action, "enabled": False})
    realm.profile["attributes"].append({"name": "supervisor", "displayName": "Manager"})
    realm.create_client({**realm_client(SETTINGS, "corp"), "secret": "old", "redirectUris": ["https://old/cb"]})
    realm.writes.clear()
    before = realm.snapshot()
    done = install(realm)
    assert "update required action mfa-recovery-setup in corp (enable)" in done
    assert "update client mfa-recovery-admin in corp (secret, redirectUris)" in done
    assert not any("user profile" in line for line in done)
    assert realm.profile["attributes"][-1] == {"name": "supervisor", "displayName": "Manager"}
    record = Record.parse(realm.by_alias(FLOW_ALIAS)["description"])
    assert record is not None and record.required_action == "disabled"
    assert record.kept == ["client:mfa-recovery-admin", "attribute:supervisor"]

    uninstall(realm)
    after = realm.snapshot()
    assert realm.find_client("mfa-recovery-admin") is not None, "a client that was there stays (as install left it)"
    assert after["required_actions"] == before["required_actions"], "disabled again"
    assert after["profile"] == before["profile"]


# --- dry run, twice, uninstall ---------------------------------------------------------------------------------


def test_a_dry_run_plans_every_step_and_changes_nothing() -> None:
    realm = corporate_realm()
    before = realm.snapshot()
    steps = plan_install(realm, "corp", SETTINGS, bind=True)
    assert [step.description.split()[0] for step in steps] == [
        "create", "update", "create", "create", "create", "update", "create", "create"
    ]  # fmt: skip
    assert steps[1].description == f"update browser flow of corp: {FLOW_ALIAS!r} (was 'corporate login')"
    assert realm.writes == [] and realm.snapshot() == before


def test_install_twice_changes_nothing_the_second_time() -> None:
    realm = corporate_realm()
    install(realm, bind=True)
    realm.writes.clear()
    steps = plan_install(realm, "corp", SETTINGS, bind=True)
    assert changes(steps) == []
    assert all(step.description.startswith("unchanged ") for step in steps)
    assert apply_steps(steps) == [] and realm.writes == []
    assert changes(plan_install(realm, "corp", SETTINGS)) == [], "without --bind it does not unbind"


def test_uninstall_leaves_the_realm_exactly_as_it_was() -> None:
    realm = corporate_realm()
    before = realm.snapshot()
    install(realm)
    assert realm.snapshot() != before
    done = uninstall(realm)
    assert done[-1] == f"delete flow {FLOW_ALIAS!r} in corp"
    assert realm.snapshot() == before
    with pytest.raises(InstallError, match="no flow 'mfa-recovery browser'"):
        plan_uninstall(realm, "corp", SETTINGS)


def test_bind_binds_the_flow_and_uninstall_binds_the_previous_one_again() -> None:
    realm = corporate_realm()
    before = realm.snapshot()
    done = install(realm, bind=True)
    assert f"update browser flow of corp: {FLOW_ALIAS!r} (was 'corporate login')" in done
    assert realm.realm["browserFlow"] == FLOW_ALIAS
    done = uninstall(realm)
    assert done[0] == f"update browser flow of corp: 'corporate login' (was {FLOW_ALIAS!r})"
    assert realm.realm["browserFlow"] == "corporate login"
    assert realm.snapshot() == before


def test_a_realm_without_a_login_theme_gets_keycloaks_default_back() -> None:
    realm = default_realm()
    install(realm, bind=True)
    uninstall(realm)
    assert realm.realm == {"browserFlow": "browser", "loginTheme": ""}, "Keycloak cannot unset it: '' is its default"


def test_a_dry_run_of_uninstall_changes_nothing() -> None:
    realm = corporate_realm()
    install(realm, bind=True)
    before = realm.snapshot()
    steps = plan_uninstall(realm, "corp", SETTINGS)
    assert len(changes(steps)) == 8
    assert realm.snapshot() == before


def test_uninstall_leaves_a_browser_flow_bound_by_hand_since() -> None:
    realm = corporate_realm()
    install(realm, bind=True)
    realm.update_realm({"browserFlow": "browser"})
    uninstall(realm)
    assert realm.realm["browserFlow"] == "browser"


def test_uninstall_refuses_a_realm_it_was_never_installed_in() -> None:
    realm = corporate_realm()
    with pytest.raises(InstallError, match="mfa-recovery was not installed there by this command"):
        plan_uninstall(realm, "corp", SETTINGS)
    assert realm.writes == []


# --- the command line ------------------------------------------------------------------------------------------


class MasterStandIn(FakeMaster):
    """python-keycloak's KeycloakAdmin signed in to master: the service account's calls, and its connection."""

    def __init__(self, realm: FakeRealm) -> None:
        super().__init__(("corp",))
        self.connection = object()
        self.realm = realm


class KeycloakStandIn:
    def __init__(self, realm: FakeRealm) -> None:
        self.master = MasterStandIn(realm)
        self.sign_ins: list[dict[str, Any]] = []
        self.targets: list[str] = []

    def __call__(self, **kwargs: Any) -> MasterStandIn:
        self.sign_ins.append(kwargs)
        return self.master

    def realm_admin(self, connection: object, realm: str) -> FakeRealm:
        assert connection is self.master.connection
        self.targets.append(realm)
        return self.master.realm


@pytest.fixture
def keycloak(monkeypatch: pytest.MonkeyPatch) -> KeycloakStandIn:
    stand_in = KeycloakStandIn(corporate_realm())
    monkeypatch.setattr(cli_module, "KeycloakAdmin", stand_in)
    monkeypatch.setattr(cli_module, "KeycloakRealmAdmin", stand_in.realm_admin)
    return stand_in


ENVIRON = {**DEV_ENV, "MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD": "master-admin-password"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["realm", *args, "--realm", "corp", "--admin-user", "boss"], obj=CliContext(ENVIRON))


def test_the_command_signs_in_to_master_grants_the_realm_and_installs(keycloak: KeycloakStandIn) -> None:
    result = run("install", "--bind")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "create client mfa-recovery-sidecar in master with view-users, view-realm on corp"
    assert f"update browser flow of corp: {FLOW_ALIAS!r} (was 'corporate login')" in lines
    [sign_in] = keycloak.sign_ins
    assert (sign_in["username"], sign_in["password"]) == ("boss", "master-admin-password")
    assert (sign_in["realm_name"], sign_in["user_realm_name"]) == ("master", "master")
    assert keycloak.targets == ["corp"]
    assert keycloak.master.held == {"uuid-corp": {"view-users", "view-realm"}}
    client = keycloak.master.realm.find_client("mfa-recovery-admin")
    assert client is not None and keycloak.master.realm.secrets[client["id"]] == DEVELOPMENT_ADMIN_UI_CLIENT_SECRET
    assert client["redirectUris"] == ["http://127.0.0.1:8081/ui/realms/corp/callback"]

    again = run("install", "--bind")
    assert (again.exit_code, again.output) == (0, "nothing to change\n")


def test_without_bind_the_command_says_how_to_bind(keycloak: KeycloakStandIn) -> None:
    result = run("install")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"the flow {FLOW_ALIAS!r} is not bound: bind it with --bind")
    assert keycloak.master.realm.realm["browserFlow"] == "corporate login"


def test_the_dry_run_prints_the_plan_and_changes_nothing(keycloak: KeycloakStandIn) -> None:
    before = keycloak.master.realm.snapshot()
    result = run("install", "--dry-run", "--bind")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 9 and lines[0].startswith("create client mfa-recovery-sidecar in master")
    assert all(line.split()[0] in ("create", "update", "unchanged") for line in lines)
    assert keycloak.master.realm.snapshot() == before and keycloak.master.held == {}


def test_a_realm_without_an_otp_form_exits_2_and_nothing_changes(keycloak: KeycloakStandIn) -> None:
    keycloak.master.realm = corporate_realm(otp=False)
    result = run("install")
    assert result.exit_code == 2
    assert "error: the browser flow 'corporate login' has no OTP form" in result.output
    assert keycloak.master.realm.writes == [] and keycloak.master.held == {}


def test_uninstall_restores_the_realm_and_says_what_it_keeps(keycloak: KeycloakStandIn) -> None:
    before = keycloak.master.realm.snapshot()
    assert run("install", "--bind").exit_code == 0
    result = run("uninstall")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(
        "kept: users' backup codes (credentials of type mfa-recovery-backup-codes)"
    )
    assert keycloak.master.realm.snapshot() == before
    again = run("uninstall")
    assert again.exit_code == 2 and "was not installed there" in again.output


# --- the REST calls ----------------------------------------------------------------------------------------------


class Answer:
    def __init__(self, status_code: int, body: Any = None) -> None:
        self.status_code = status_code
        self.content = b"" if body is None else json.dumps(body).encode()
        self.text = self.content.decode()
        self.reason = "reason"

    def json(self) -> Any:
        return json.loads(self.content)


class RecordingConnection:
    """python-keycloak's connection: notes each call, answers from ``answers`` (else 204)."""

    def __init__(self, **answers: Answer) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.answers = answers

    def _answer(self, method: str, path: str, data: Any) -> Answer:
        self.calls.append((method, path, None if data is None else json.loads(data)))
        return self.answers.get(method, Answer(204))

    def raw_get(self, path: str, **params: Any) -> Answer:
        return self._answer("GET", path + (f"?{params}" if params else ""), None)

    def raw_post(self, path: str, data: str) -> Answer:
        return self._answer("POST", path, data)

    def raw_put(self, path: str, data: str) -> Answer:
        return self._answer("PUT", path, data)

    def raw_delete(self, path: str) -> Answer:
        return self._answer("DELETE", path, None)


def test_the_rest_calls_name_the_realm_and_quote_the_aliases() -> None:
    connection = RecordingConnection()
    admin = KeycloakRealmAdmin(connection, "my realm")
    admin.copy_flow("corporate login", FLOW_ALIAS)
    admin.add_execution(f"{FLOW_ALIAS} forms", AUTHENTICATOR)
    admin.update_execution(FLOW_ALIAS, {"id": "e1", "requirement": "ALTERNATIVE", "priority": 20})
    admin.raise_priority("e1")
    admin.register_required_action("mfa-recovery-setup", "Set up account recovery")
    admin.set_localization_texts("nl", {"k": "tekst"})
    admin.delete_localization_text("nl", "k")
    admin.update_realm({"browserFlow": FLOW_ALIAS})
    base = "admin/realms/my%20realm"
    assert connection.calls == [
        ("POST", f"{base}/authentication/flows/corporate%20login/copy", {"newName": FLOW_ALIAS}),
        ("POST", f"{base}/authentication/flows/mfa-recovery%20browser%20forms/executions/execution",
         {"provider": AUTHENTICATOR}),
        ("PUT", f"{base}/authentication/flows/mfa-recovery%20browser/executions",
         {"id": "e1", "requirement": "ALTERNATIVE", "priority": 20}),
        ("POST", f"{base}/authentication/executions/e1/raise-priority", {}),
        ("POST", f"{base}/authentication/register-required-action",
         {"providerId": "mfa-recovery-setup", "name": "Set up account recovery"}),
        ("POST", f"{base}/localization/nl", {"k": "tekst"}),
        ("DELETE", f"{base}/localization/nl/k", None),
        ("PUT", base, {"browserFlow": FLOW_ALIAS}),
    ]  # fmt: skip


def test_a_refusal_of_keycloak_is_a_keycloak_error_and_an_answer_is_read() -> None:
    found = KeycloakRealmAdmin(RecordingConnection(GET=Answer(200, [{"clientId": "a", "id": "u"}])), "corp")
    assert found.find_client("a") == {"clientId": "a", "id": "u"}
    assert found.find_client("b") is None
    refused = KeycloakRealmAdmin(RecordingConnection(POST=Answer(409, {"errorMessage": "exists"})), "corp")
    with pytest.raises(KeycloakError) as error:
        refused.copy_flow("browser", FLOW_ALIAS)
    assert error.value.response_code == 409
