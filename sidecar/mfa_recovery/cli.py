"""Command line: ``mfa-recovery codes issue|remaining``, ``backup-email show``, ``realm-options show|set``,
``notifications send-pending``, ``audit verify|show``, ``desk purge``, ``desk operators setup``,
``answer-key generate|public``, ``service-account grant``, ``realm install|uninstall``, ``db upgrade``, ``serve``."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from requests import RequestException

from .admin.errors import KeycloakUnavailable
from .audit.chain import Head
from .audit.log import MAX_PAGE, AuditEvent
from .bridge_auth.answers import load_private_key, new_private_key_pem, public_key_text
from .config import PREFIX, ConfigError, Settings
from .directory import Directory
from .installation import desk_operators, realm_install
from .installation.realm_install import KeycloakRealmAdmin
from .installation.service_account import SERVICE_REALM, GrantError, grant
from .realm_options.options import SETUP_PROMPTS, InvalidRealmOptions, RealmOptions
from .services import Services, build_services, keycloak_directory
from .store import migrate

EXIT_USAGE = 2
# The limits of a request that gunicorn enforces before the application sees it (bytes of the request line, of
# one header field line, and the number of header fields): gunicorn's defaults, held fixed.
LIMIT_REQUEST_LINE = 4094
LIMIT_REQUEST_FIELD_SIZE = 8190
LIMIT_REQUEST_FIELDS = 100


@dataclass
class CliContext:
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    directory_factory: Callable[[Settings], Directory] | None = None
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings.from_env(self.environ)
            except ConfigError as exc:
                fail_configuration(exc)
        return self._settings

    def services(self) -> Services:
        return build_services(self.settings())

    def directory(self) -> Directory:
        settings = self.settings()
        if self.directory_factory is not None:
            return self.directory_factory(settings)
        return keycloak_directory(settings)


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(EXIT_USAGE)


def fail_configuration(exc: ConfigError) -> NoReturn:
    """Every problem of the configuration on a line of its own, no traceback."""
    fail("configuration error:\n" + "\n".join(f"  - {line}" for line in exc.problems))


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


def switch(name: str, help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """An on/off option: ``--NAME on|off`` (``--NAME`` alone: on) and ``--no-NAME`` (off)."""
    dest = name.replace("-", "_")

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        command = click.option(f"--no-{name}", f"no_{dest}", is_flag=True, help=f"Same as --{name} off.")(command)
        return click.option(
            f"--{name}",
            dest,
            type=click.Choice(["on", "off"]),
            is_flag=False,
            flag_value="on",
            default=None,
            help=f"{help_text} (alone: on).",
        )(command)

    return decorate


def switch_value(name: str, value: str | None, no: bool) -> bool | None:
    """The value of a :func:`switch`: True, False, or None when not given."""
    if no and value is not None:
        fail(f"give only one of --{name} and --no-{name}")
    if no:
        return False
    return None if value is None else value == "on"


def true_false(value: bool) -> str:
    return "true" if value else "false"


def resolve_user(ctx: CliContext, realm: str, username: str) -> str:
    try:
        user_id = ctx.directory().find_user_id(realm, username)
    except KeycloakUnavailable as exc:
        fail(f"cannot reach Keycloak to look up {username!r}: {exc}")
    if user_id is None:
        fail(f"no user {username!r} in realm {realm!r}")
    return user_id


@click.group(name="mfa-recovery")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """MFA recovery sidecar for Keycloak."""
    if ctx.obj is None:
        ctx.obj = CliContext()


@cli.group()
def codes() -> None:
    """Backup codes."""


@codes.command("issue")
@click.option("--realm", required=True, help="Realm name.")
@click.option("--user", "username", required=True, help="Username in that realm.")
@click.option(
    "--count", type=click.IntRange(1, 100), default=None, help="Number of codes (default: the realm's code count)."
)
@click.pass_obj
def codes_issue(ctx: CliContext, realm: str, username: str, count: int | None) -> None:
    """Issue a fresh set of backup codes, replacing the user's previous set."""
    user_id = resolve_user(ctx, realm, username)
    svc = ctx.services()
    count = count or svc.realm_options.get(realm).code_count
    issued = svc.backup_codes.issue(realm, user_id, count)
    svc.audit.record(
        realm=realm,
        actor=f"cli:{os_user()}",
        subject=user_id,
        action="backup_code.issue",
        outcome="ok",
        detail={"count": count, "username": username},
    )
    click.echo(f"# {count} backup codes for {username} in realm {realm}.", err=True)
    click.echo("# They are shown once and replace any earlier codes. Each works one time.", err=True)
    for code in issued:
        click.echo(code)


@codes.command("remaining")
@click.option("--realm", required=True, help="Realm name.")
@click.option("--user", "username", required=True, help="Username in that realm.")
@click.pass_obj
def codes_remaining(ctx: CliContext, realm: str, username: str) -> None:
    """Print how many unused backup codes the user has."""
    user_id = resolve_user(ctx, realm, username)
    click.echo(str(ctx.services().backup_codes.remaining(realm, user_id)))


@cli.group("realm-options")
def realm_options() -> None:
    """Per-realm options of account recovery."""


def _print_options(options: RealmOptions) -> None:
    click.echo(f"realm: {options.realm}")
    click.echo(f"code_count: {options.code_count}")
    click.echo(f"warning_threshold: {options.warning_threshold}")
    click.echo(f"setup_prompt: {options.setup_prompt}")
    click.echo(f"reenrol_otp_after_recovery: {true_false(options.reenrol_otp_after_recovery)}")
    click.echo(f"email_method_enabled: {true_false(options.email_method_enabled)}")
    click.echo(f"reenrol_otp_after_email_recovery: {true_false(options.reenrol_otp_after_email_recovery)}")
    attribute = options.supervisor_attribute or '"" (no supervisor lookup)'
    click.echo(f"supervisor_attribute: {attribute}")
    click.echo(f"desk_four_eyes: {true_false(options.desk_four_eyes)}")
    if options.updated_at is None:
        click.echo("updated: never (defaults)")
    else:
        click.echo(f"updated: {options.updated_at.isoformat()} by {options.updated_by}")


@realm_options.command("show")
@click.option("--realm", required=True, help="Realm name.")
@click.pass_obj
def realm_options_show(ctx: CliContext, realm: str) -> None:
    """Print the realm's options (the defaults when none were saved)."""
    _print_options(ctx.services().realm_options.get(realm))


@realm_options.command("set")
@click.option("--realm", required=True, help="Realm name.")
@click.option("--code-count", type=int, default=None, help="Codes per set, 5..20.")
@click.option("--warning-threshold", type=int, default=None, help="Ask to regenerate at this many codes left.")
@click.option(
    "--setup-prompt",
    type=click.Choice(SETUP_PROMPTS),
    default=None,
    help="Show the setup page after OTP enrolment: off, offered (skippable) or required.",
)
@switch("reenrol-otp", "Make every recovery sign-in enrol a new OTP authenticator")
@switch("email-method", "Offer sign-in with a code sent to a verified backup email address")
@switch("reenrol-otp-after-email", "Make a sign-in with an emailed code enrol a new OTP authenticator")
@click.option(
    "--supervisor-attribute",
    default=None,
    metavar="NAME",
    help='User attribute with the supervisor\'s username or email address; "" switches the lookup off.',
)
@click.option(
    "--desk-four-eyes",
    type=click.Choice(("on", "off")),
    default=None,
    help="Recovery desk: an approval needs two different operators (on) or one (off).",
)
@click.pass_context
def realm_options_set(
    click_context: click.Context,
    /,
    realm: str,
    code_count: int | None,
    warning_threshold: int | None,
    setup_prompt: str | None,
    supervisor_attribute: str | None,
    desk_four_eyes: str | None,
    **switches: Any,
) -> None:
    """Change the realm's options; unnamed options keep their value. Every change is audited."""
    ctx: CliContext = click_context.obj
    values: dict[str, Any] = {
        "reenrol_otp_after_recovery": switch_value("reenrol-otp", switches["reenrol_otp"], switches["no_reenrol_otp"]),
        "email_method_enabled": switch_value("email-method", switches["email_method"], switches["no_email_method"]),
        "reenrol_otp_after_email_recovery": switch_value(
            "reenrol-otp-after-email", switches["reenrol_otp_after_email"], switches["no_reenrol_otp_after_email"]
        ),
        "code_count": code_count,
        "warning_threshold": warning_threshold,
        "setup_prompt": setup_prompt,
        "supervisor_attribute": supervisor_attribute,
        "desk_four_eyes": None if desk_four_eyes is None else desk_four_eyes == "on",
    }
    if all(value is None for value in values.values()):
        fail("nothing to change: give at least one of --code-count, --warning-threshold, --setup-prompt, "
             "--reenrol-otp, --email-method, --reenrol-otp-after-email, --supervisor-attribute, "
             "--desk-four-eyes")  # fmt: skip
    try:
        change = ctx.services().realm_options.update(realm, f"cli:{os_user()}", **values)
    except InvalidRealmOptions as exc:
        fail(str(exc))
    if change.changed:
        for name, (old, new) in change.changed.items():
            click.echo(f"# {name}: {old} -> {new}", err=True)
    else:
        click.echo("# no value changed", err=True)
    _print_options(change.after)


@cli.group("backup-email")
def backup_email() -> None:
    """Backup email addresses."""


@backup_email.command("show")
@click.option("--realm", required=True, help="Realm name.")
@click.option("--user", "username", default=None, help="Username in that realm (looked up in Keycloak).")
@click.option("--user-id", default=None, help="Keycloak user id (no look-up).")
@click.pass_obj
def backup_email_show(ctx: CliContext, realm: str, username: str | None, user_id: str | None) -> None:
    """Print the user's backup email address (masked), whether it is verified, and any address awaiting its code."""
    if (username is None) == (user_id is None):
        fail("give exactly one of --user and --user-id")
    user_id = user_id or resolve_user(ctx, realm, str(username))
    setup = ctx.services().backup_email
    status = setup.status(realm, user_id)
    click.echo(f"email_method_enabled: {true_false(status.enabled)}")
    click.echo(f"backup_email: {status.address_hint or 'none'}")
    click.echo(f"verified: {true_false(status.verified)}")
    waiting = setup.awaiting_verification(realm, user_id)
    if waiting is not None:
        hint, expires_at = waiting
        click.echo(f"awaiting_verification: {hint} (code valid until {expires_at.isoformat()})")


@cli.group()
def notifications() -> None:
    """Notification mails."""


@notifications.command("send-pending")
@click.pass_obj
def notifications_send_pending(ctx: CliContext) -> None:
    """Deliver the queued notifications that are due (one pass)."""
    svc = ctx.services()
    report = svc.notification_sender(ctx.directory()).run_once(limit=1000)
    click.echo(f"sent {report.sent}, retry later {report.retried}, given up {report.failed}, skipped {report.skipped}")


@cli.group("audit")
def audit_trail() -> None:
    """The audit trail (append-only, hash-chained)."""


EXIT_CHAIN_BROKEN = 1


@audit_trail.command("verify")
@click.option(
    "--expect-head",
    metavar="ID:HASH",
    help="A head kept outside the database (printed by an earlier verify): the chain must still run through it.",
)
@click.pass_obj
def audit_verify(ctx: CliContext, expect_head: str | None) -> None:
    """Check the hash chain of the whole trail; exit 1 naming the first event that breaks it."""
    try:
        expected = Head.parse(expect_head) if expect_head is not None else None
    except ValueError as exc:
        fail(str(exc))
    result = ctx.services().audit.verify(expected)
    if result.broken is None:
        click.echo(f"audit chain intact: {result.checked} events")
        if expected is not None:
            click.echo(f"it runs through the head {expected}")
        if result.last_id is not None:
            click.echo(f"head (keep it elsewhere): {result.last_id}:{result.last_hash}")
        return
    click.echo(f"audit chain broken at event {result.broken.row_id} ({result.broken.kind}): {result.broken.reason}")
    click.echo(f"events before it found intact: {result.checked}")
    raise SystemExit(EXIT_CHAIN_BROKEN)


def _event_line(event: AuditEvent) -> str:
    detail = json.dumps(event.detail, sort_keys=True, ensure_ascii=False)
    return (
        f"{event.id} {event.occurred_at.isoformat()} realm={event.realm or '-'} actor={event.actor}"
        f" subject={event.subject or '-'} {event.action} {event.outcome} {detail}"
    )


@audit_trail.command("show")
@click.option("--realm", default=None, help="Realm name (default: every realm).")
@click.option("--subject", default=None, help="User id the events are about.")
@click.option("--action", default=None, help='Action, exact; ending in "." every action it starts (backup_code.).')
@click.option("--max", "limit", type=click.IntRange(1, MAX_PAGE), default=50, show_default=True)
@click.pass_obj
def audit_show(ctx: CliContext, realm: str | None, subject: str | None, action: str | None, limit: int) -> None:
    """Print events, newest first, one a line."""
    events, total = ctx.services().audit.search(realm, subject=subject, action=action, max=limit)
    for event in events:
        click.echo(_event_line(event))
    click.echo(f"# {len(events)} of {total} events", err=True)


@cli.group("desk")
def desk() -> None:
    """The recovery desk."""


EXIT_PURGE_INCOMPLETE = 1


@desk.command("purge")
@click.pass_obj
def desk_purge(ctx: CliContext) -> None:
    """Delete the documents of decided cases, and whole cases older than MFA_RECOVERY_DESK_RETENTION_DAYS (and
    document files no case refers to); every deletion is audited. Running it again changes nothing: meant for cron
    or a Kubernetes CronJob, with the sidecar's data directory and store. Exit 1 when something could not be
    deleted (it is tried again next run)."""
    svc = ctx.services()
    report = svc.desk_purge.run(f"cli:{os_user()}")
    for documents in report.documents:
        click.echo(f"deleted the {documents.documents} documents of case {documents.case_number} ({documents.status})")
    for case in report.cases:
        click.echo(
            f"deleted case {case.case_number} ({case.status}, filed {case.filed_at.isoformat()}, older than "
            f"{svc.desk_purge.retention_days} days) with {case.documents} documents"
        )
    if report.orphan_files:
        click.echo(f"deleted {report.orphan_files} document files no case refers to")
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    if report.did_nothing:
        click.echo("nothing to delete")
    if report.failures:
        raise SystemExit(EXIT_PURGE_INCOMPLETE)


@desk.group("operators")
def desk_operators_group() -> None:
    """The recovery desk's operators in Keycloak (MFA_RECOVERY_DESK_OPERATOR_REALM, by default master)."""


@desk_operators_group.command("setup")
@click.option(
    "--admin-user",
    required=True,
    help="An administrator of Keycloak's master realm; the password comes from "
    "MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD (or _FILE), else it is asked for.",
)
@click.option(
    "--operator",
    "operators",
    multiple=True,
    metavar="USERNAME",
    help="An existing user of the operator realm to give the operator role (repeatable).",
)
@click.pass_obj
def desk_operators_setup(ctx: CliContext, admin_user: str, operators: tuple[str, ...]) -> None:
    """Give the operator realm what operators need: the operator realm role, and the admin UI's client (the same
    client id and secret as in every realm, redirect URIs under MFA_RECOVERY_PUBLIC_URL) to sign in to the desk;
    and give the role to each --operator. An --operator the realm does not have stops it before anything changes;
    running it again changes nothing."""
    settings = ctx.settings()
    if not settings.admin_ui_client_secret:
        fail(
            "the admin UI has no client secret (MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET or _FILE): the operator realm's "
            "client needs it, so that operators can sign in"
        )
    password = _admin_password(ctx.environ)
    realm = settings.desk_operator_realm
    try:
        admin = _master_admin(settings, admin_user, password, realm)
        done = desk_operators.set_up(
            admin,
            realm=realm,
            role=settings.desk_operator_role,
            client_id=settings.admin_ui_client_id,
            secret=settings.admin_ui_client_secret,
            public_url=settings.public_url,
            operators=operators,
        )
    except desk_operators.SetupError as exc:
        fail(str(exc))
    except (KeycloakError, RequestException, OSError) as exc:
        fail(f"Keycloak at {settings.keycloak_url} refused or did not answer: {type(exc).__name__} {exc}")
    for line in done or ["nothing to change"]:
        click.echo(line)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(ctx: CliContext) -> None:
    """Apply pending schema migrations."""
    migrate.upgrade(ctx.settings().database_url)
    click.echo("database is up to date")


@cli.group("service-account")
def service_account() -> None:
    """The sidecar's service account in Keycloak's master realm."""


@service_account.command("grant")
@click.option("--realm", "realms", multiple=True, required=True, help="A realm the sidecar serves (repeatable).")
@click.option(
    "--admin-user",
    required=True,
    help="An administrator of Keycloak's master realm; the password comes from "
    "MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD (or _FILE), else it is asked for.",
)
@click.pass_obj
def service_account_grant(ctx: CliContext, realms: tuple[str, ...], admin_user: str) -> None:
    """Create or update the sidecar's client in master and give its service account view-users and view-realm on
    each realm. Running it again changes nothing."""
    settings = ctx.settings()
    password = _admin_password(ctx.environ)
    try:
        admin = _master_admin(settings, admin_user, password)
        done = grant(admin, settings.keycloak_client_id, settings.keycloak_client_secret, realms)
    except GrantError as exc:
        fail(str(exc))
    except (KeycloakError, RequestException, OSError) as exc:
        fail(f"Keycloak at {settings.keycloak_url} refused or did not answer: {type(exc).__name__} {exc}")
    for line in done or ["nothing to change"]:
        click.echo(line)


@cli.group("realm")
def realm_group() -> None:
    """mfa-recovery in an existing realm of Keycloak (docs/operations.md)."""


ADMIN_USER_HELP = (
    "An administrator of Keycloak's master realm; the password comes from "
    "MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD (or _FILE), else it is asked for."
)


def _master_admin(settings: Settings, admin_user: str, password: str, realm: str = SERVICE_REALM) -> KeycloakAdmin:
    """An administrator of master, signed in there, whose python-keycloak calls act on ``realm`` (the REST calls
    made by hand name their realm in their paths)."""
    return KeycloakAdmin(
        server_url=settings.keycloak_url + "/",
        username=admin_user,
        password=password,
        realm_name=realm,
        user_realm_name=SERVICE_REALM,
        timeout=30,
    )


def _install_settings(ctx: CliContext) -> realm_install.InstallSettings:
    settings = ctx.settings()
    if not settings.admin_ui_client_secret:
        fail(
            "the admin UI has no client secret (MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET or _FILE): the realm's admin UI "
            "client needs it"
        )
    return realm_install.InstallSettings(
        admin_ui_client_id=settings.admin_ui_client_id,
        admin_ui_client_secret=settings.admin_ui_client_secret,
        public_url=settings.public_url,
    )


def _run_plan(plan: Callable[[], list[realm_install.Step]], dry_run: bool, keycloak_url: str) -> None:
    """Plan, then print the plan (``--dry-run``) or apply it step by step, printing each change once made."""
    try:
        steps = plan()
        if dry_run:
            for step in steps:
                click.echo(step.description)
        else:
            for step in steps:
                if step.apply is not None:
                    step.apply()
                    click.echo(step.description)
            if not any(step.changes for step in steps):
                click.echo("nothing to change")
    except (realm_install.InstallError, GrantError) as exc:
        fail(str(exc))
    except (KeycloakError, RequestException, OSError) as exc:
        fail(f"Keycloak at {keycloak_url} refused or did not answer: {type(exc).__name__} {exc}")
    for step in steps:
        if step.hint:
            click.echo(step.hint)


@realm_group.command("install")
@click.option("--realm", required=True, help="The realm to add mfa-recovery to.")
@click.option("--bind", is_flag=True, help="Also bind the new flow as the realm's browser flow.")
@click.option("--dry-run", is_flag=True, help="Print the plan, one line per step, and change nothing.")
@click.option("--admin-user", required=True, help=ADMIN_USER_HELP)
@click.pass_obj
def realm_install_command(ctx: CliContext, realm: str, bind: bool, dry_run: bool, admin_user: str) -> None:
    """Add mfa-recovery to an existing realm: the browser flow "mfa-recovery browser" (a copy of the realm's browser
    flow with the recovery step beside the OTP form), the admin UI's client, the required action, the supervisor
    attribute, the login theme, the texts; and grant the realm to the sidecar's service account in master.
    Running it again changes nothing."""
    settings = ctx.settings()
    wanted = _install_settings(ctx)
    password = _admin_password(ctx.environ)

    def plan() -> list[realm_install.Step]:
        admin = _master_admin(settings, admin_user, password)
        target = KeycloakRealmAdmin(admin.connection, realm)
        grant_step = realm_install.plan_grant(
            admin, settings.keycloak_client_id, settings.keycloak_client_secret, realm
        )
        return [grant_step, *realm_install.plan_install(target, realm, wanted, bind=bind)]

    _run_plan(plan, dry_run, settings.keycloak_url)


@realm_group.command("uninstall")
@click.option("--realm", required=True, help="The realm to take mfa-recovery out of.")
@click.option("--dry-run", is_flag=True, help="Print the plan, one line per step, and change nothing.")
@click.option("--admin-user", required=True, help=ADMIN_USER_HELP)
@click.pass_obj
def realm_uninstall_command(ctx: CliContext, realm: str, dry_run: bool, admin_user: str) -> None:
    """Take out what `realm install` added, as the record in its flow says: bind the browser flow bound before
    install, reset the login theme, delete the flow, the client, the required action, the attribute, the texts.
    Users' backup codes and the service account's roles in master stay."""
    settings = ctx.settings()
    wanted = _install_settings(ctx)
    password = _admin_password(ctx.environ)

    def plan() -> list[realm_install.Step]:
        admin = _master_admin(settings, admin_user, password)
        return realm_install.plan_uninstall(KeycloakRealmAdmin(admin.connection, realm), realm, wanted)

    _run_plan(plan, dry_run, settings.keycloak_url)
    click.echo(
        f"kept: users' backup codes (credentials of type {realm_install.BACKUP_CODES_CREDENTIAL}), their "
        f"{realm_install.SUPERVISOR} values, and the roles on {realm} of the sidecar's service account in "
        f"{SERVICE_REALM} (`service-account grant`)"
    )


def _admin_password(environ: Mapping[str, str]) -> str:
    name = "MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD"
    if environ.get(name):
        return environ[name]
    if environ.get(name + "_FILE"):
        try:
            with open(environ[name + "_FILE"], encoding="utf-8") as file:
                return file.read().removesuffix("\n")
        except OSError as exc:
            fail(f"{name}_FILE: {exc.strerror}")
    return getpass.getpass("Password of the master-realm administrator: ")


@cli.group("answer-key")
def answer_key() -> None:
    """The sidecar's Ed25519 key that signs its answers to Keycloak (MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE)."""


@answer_key.command("generate")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def answer_key_generate(path: Path) -> None:
    """Write a new private key to PATH (PEM, mode 0600; never over an existing file) and print its public key."""
    key, pem = new_private_key_pem()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{path} exists; it is not overwritten (remove it first to make a new key)")
    except OSError as exc:
        fail(f"cannot create {path}: {exc.strerror}")
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # whatever the umask
        file.write(pem)
    click.echo(f"# private key written to {path}; give Keycloak this public key:", err=True)
    click.echo(public_key_text(key))


@answer_key.command("public")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def answer_key_public(path: Path) -> None:
    """Print the public key of the private key in PATH: standard base64 of its DER SubjectPublicKeyInfo, the value
    of Keycloak's --spi-authenticator--mfa-recovery--answer-public-key."""
    try:
        key = load_private_key(path.read_bytes())
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except ValueError as exc:
        fail(f"{path}: {exc}")
    click.echo(public_key_text(key))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=8081, show_default=True, type=click.IntRange(1, 65535), help="Everything but the bridge API."
)
@click.option(
    "--bridge-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="The bridge API's own port, for Keycloak only (default: MFA_RECOVERY_BRIDGE_PORT; required in production).",
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(ctx: CliContext, host: str, port: int, bridge_port: int | None, workers: int) -> None:
    """Run the sidecar under gunicorn: the bridge API on --bridge-port, the rest on --port."""
    environ = dict(ctx.environ)
    if bridge_port is not None:
        environ[PREFIX + "BRIDGE_PORT"] = str(bridge_port)
    try:  # refuse to start on unsafe configuration, before forking workers
        settings = Settings.from_env(environ, serving=True)
    except ConfigError as exc:
        fail_configuration(exc)
    if settings.bridge_port == port:
        fail(f"--bridge-port must differ from --port ({port}): the bridge API has a port of its own")
    migrate.upgrade(settings.database_url)  # once, before the workers start
    if settings.metrics_enabled:
        import shutil

        from .observability.metrics import MULTIPROC_ENV

        # Every worker writes its metrics here and /metrics adds them up; emptied at each start, so no value of a
        # previous run is counted again (observability/metrics.py).
        metrics_dir = Path(settings.data_dir, "prometheus").resolve()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        environ[MULTIPROC_ENV] = str(metrics_dir)
    argv = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--bind", f"{host}:{port}",
        # No gunicorn access log: it writes the raw path and query (an OpenID Connect callback's code, say); the
        # application logs each request by its route and request id instead (web/observability.py). The hooks:
        # child_exit for the metrics of a worker that ended.
        "--config", "python:mfa_recovery.web.gunicorn_config",
        # gunicorn's own limits of a request, named so that no change of its defaults loosens them; its refusals
        # (414, 431) come back as the API's JSON errors from this worker (web/gunicorn_worker.py).
        "--worker-class", "mfa_recovery.web.gunicorn_worker.JsonRefusalWorker",
        "--limit-request-line", str(LIMIT_REQUEST_LINE),
        "--limit-request-field_size", str(LIMIT_REQUEST_FIELD_SIZE),
        "--limit-request-fields", str(LIMIT_REQUEST_FIELDS),
    ]  # fmt: skip
    if settings.bridge_port is not None:
        # One gunicorn, two TCP listeners; the app tells them apart by the accepted socket (web/listeners.py).
        argv += ["--bind", f"{host}:{settings.bridge_port}"]
    if _gunicorn_has_setting("control_socket_disable"):
        # gunicorn >= 27 opens a control socket at a fixed path under $HOME; two sidecars would collide.
        argv.append("--no-control-socket")
    argv.append("mfa_recovery.web.wsgi:app")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, environ)  # noqa: S606 - fixed argv, no shell


def _gunicorn_has_setting(name: str) -> bool:
    from gunicorn import config as gunicorn_config

    return any(setting.name == name for setting in gunicorn_config.KNOWN_SETTINGS)


def main() -> None:
    cli(prog_name="mfa-recovery")
