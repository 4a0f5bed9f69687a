"""Settings, read once from the environment and passed in explicitly (no global state)."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import SplitResult, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import plain_text
from .bridge_auth.answers import load_private_key
from .keycloak.realm_keys import is_realm_name

PREFIX = "MFA_RECOVERY_"

DEVELOPMENT = "development"
PRODUCTION = "production"

# Development defaults. They are public (they live in this file), so production mode refuses them. The answer
# signing key has none: each installation makes its own (``mfa-recovery answer-key generate``).
DEVELOPMENT_CODE_PEPPER = "dev-only-code-pepper-change-me-0123456789ab"  # noqa: S105
DEVELOPMENT_AUDIT_KEY = "dev-only-audit-chain-key-change-me-0123456789"  # noqa: S105
DEVELOPMENT_KEYCLOAK_CLIENT_SECRET = "dev-only-keycloak-client-secret-change-me"  # noqa: S105
# The admin UI's confidential client (``mfa-recovery-admin``); the same public default as scripts/common.sh.
DEVELOPMENT_ADMIN_UI_CLIENT_SECRET = "dev-only-admin-ui-client-secret-change-me"  # noqa: S105
# The recovery desk's document key (desk/vault.py). PUBLIC: development only, refused in production.
DEVELOPMENT_DESK_KEY = "dev-only-desk-document-key-change-me-0123456789"  # noqa: S105

MIN_SECRET_BYTES = 32

MIB = 1024 * 1024
DEFAULT_DATA_DIR = "./var"

# Where the supervisor's notice points: the employee's Overview in the admin UI. ``{public_url}`` is filled in at
# start; ``{realm}`` and ``{user_id}`` per notice.
DEFAULT_EMPLOYEE_LINK = "{public_url}/ui/realms/{realm}/employees/{user_id}"  # the admin UI's Overview
EMPLOYEE_LINK_FIELDS = frozenset({"realm", "user_id"})


# Clients whose access tokens the admin API accepts (``azp``, or an ``aud`` entry): MFA_RECOVERY_ADMIN_CLIENTS.
# Not admin-cli or the admin console: Keycloak gives them lightweight access tokens, which name no user.
DEFAULT_ADMIN_CLIENTS = ("mfa-recovery-admin",)

# Admin web UI: the client administrators sign in with, and the sidecar as browsers reach it.
DEFAULT_ADMIN_UI_CLIENT_ID = "mfa-recovery-admin"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8081"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(ValueError):
    """The configuration is unusable; the application must not start. ``problems``: one line per problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


T = TypeVar("T")


class _Problems:
    """Collects every problem of a configuration, so that one start names them all."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, read: Callable[[], T], fallback: T) -> T:
        try:
            return read()
        except ConfigError as exc:
            self.lines.extend(exc.problems)
            return fallback


def _read_optional_secret(environ: Mapping[str, str], name: str) -> str | None:
    """Read ``<name>`` or ``<name>_FILE`` (whose content loses one trailing newline); None when neither is set."""
    key = PREFIX + name
    file_key = key + "_FILE"
    value = environ.get(key)
    file_name = environ.get(file_key)
    if value and file_name:
        raise ConfigError(f"set only one of {key} and {file_key}")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{file_key}: cannot read {file_name!r}: {exc.strerror}") from exc
        value = value.removesuffix("\n").removesuffix("\r")
    return value or None


def _read_secret(environ: Mapping[str, str], name: str, development_default: str, env: str) -> str:
    """Read a required secret; production refuses a missing, public or short one."""
    key = PREFIX + name
    value = _read_optional_secret(environ, name)
    if env == PRODUCTION:
        if not value:
            raise ConfigError(f"{key} (or {key}_FILE) is required in production")
        return _production_secret(key, value, development_default)
    return value or development_default


def _production_secret(key: str, value: str, development_default: str) -> str:
    if value == development_default:
        raise ConfigError(f"{key} is the public development default; set a real secret in production")
    if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigError(f"{key} must be at least {MIN_SECRET_BYTES} bytes in production")
    return value


def _admin_ui_client_secret(environ: Mapping[str, str], env: str) -> str | None:
    """The admin UI's client secret. Production refuses the public default and short ones like every secret, but
    may leave it unset: then the sidecar runs without the admin UI (its pages say so), the admin API still works."""
    name = "ADMIN_UI_CLIENT_SECRET"
    value = _read_optional_secret(environ, name)
    if env != PRODUCTION:
        return value or DEVELOPMENT_ADMIN_UI_CLIENT_SECRET
    return _production_secret(PREFIX + name, value, DEVELOPMENT_ADMIN_UI_CLIENT_SECRET) if value else None


def _desk_key(environ: Mapping[str, str], env: str) -> str | None:
    """The recovery desk's document key. Development falls back on the public default (the desk is on); production
    refuses that default and short keys like every secret, and without a key the desk is off (docs/desk.md)."""
    name = "DESK_KEY"
    value = _read_optional_secret(environ, name)
    if env != PRODUCTION:
        return value or DEVELOPMENT_DESK_KEY
    return _production_secret(PREFIX + name, value, DEVELOPMENT_DESK_KEY) if value else None


def _metrics_token(environ: Mapping[str, str], env: str, metrics: bool) -> str | None:
    """The bearer token ``/metrics`` asks for. Production with metrics on requires one (the main listener is the
    one browsers reach) and refuses short ones; development may leave it unset (``/metrics`` is then open)."""
    name = "METRICS_TOKEN"
    value = _read_optional_secret(environ, name)
    if env != PRODUCTION or not metrics:
        return value
    if not value:
        raise ConfigError(
            f"{PREFIX}{name} (or {PREFIX}{name}_FILE) is required in production when {PREFIX}METRICS=on: "
            "/metrics answers on the main listener, which browsers reach"
        )
    return _production_secret(PREFIX + name, value, "")


def is_loopback_http(url: str) -> bool:
    """Plain http on this machine (development and tests): the only place the UI's cookie may go without Secure."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def _http_url(key: str, url: str, env: str, why_https: str) -> SplitResult:
    """``url`` (the value of ``key``) as an http(s) URL with a host; production wants https, except on loopback."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ConfigError(f"{key} is not a URL: {url!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key} must be an http(s) URL, got {url!r}")
    if env == PRODUCTION and parts.scheme != "https" and not is_loopback_http(url):
        raise ConfigError(f"{key} must be https in production ({why_https}), got {url!r}")
    return parts


def _public_url(environ: Mapping[str, str], env: str) -> str:
    """The sidecar's browser-facing base URL: scheme, host, port, nothing else. Production wants https, except
    on loopback (a proxy on the same machine, or the development stack in production mode)."""
    key = PREFIX + "PUBLIC_URL"
    url = (environ.get(key) or DEFAULT_PUBLIC_URL).strip().rstrip("/")
    parts = _http_url(key, url, env, "the UI's session cookie is Secure")
    if parts.path or parts.query or parts.fragment:
        raise ConfigError(f"{key} must be http(s)://host[:port] with no path, got {url!r}")
    return url


def _keycloak_url(environ: Mapping[str, str], name: str, default: str, env: str) -> str:
    """A base URL of Keycloak. Production wants https, except on loopback: tokens, keys and the sidecar's client
    secret travel over it."""
    key = PREFIX + name
    url = (environ.get(key) or default).strip().rstrip("/")
    _http_url(key, url, env, "plain http only on loopback")
    return url


def _answer_signing_key(environ: Mapping[str, str]) -> Ed25519PrivateKey:
    """The sidecar's Ed25519 key that signs its answers to the bridge; required in every mode, no default."""
    key = PREFIX + "ANSWER_SIGNING_KEY"
    pem = _read_optional_secret(environ, "ANSWER_SIGNING_KEY")
    if not pem:
        raise ConfigError(
            f"{key} (or {key}_FILE) is required: the Ed25519 private key (PEM) that signs the answers to Keycloak; "
            "make one with `mfa-recovery answer-key generate PATH`"
        )
    try:
        return load_private_key(pem.encode("utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _bridge_port(environ: Mapping[str, str], env: str, serving: bool) -> int | None:
    port = _int(environ, "BRIDGE_PORT", 0, 1, 65535) or None
    if serving and env == PRODUCTION and port is None:
        raise ConfigError(
            f"{PREFIX}BRIDGE_PORT (or serve --bridge-port) is required in production: the bridge API gets a port of "
            "its own that only Keycloak reaches"
        )
    return port


def _env(environ: Mapping[str, str]) -> str:
    """Production unless development is asked for by name."""
    env = environ.get(PREFIX + "ENV") or PRODUCTION
    if env not in (DEVELOPMENT, PRODUCTION):
        raise ConfigError(f"{PREFIX}ENV must be {DEVELOPMENT!r} or {PRODUCTION!r}, got {env!r}")
    return env


def log_format(environ: Mapping[str, str]) -> str:
    """``MFA_RECOVERY_LOG_FORMAT``: "json" or "text"; by default json in production (for a log collector), text in
    development (for a person at a terminal)."""
    return _choice(environ, "LOG_FORMAT", "json" if _env(environ) == PRODUCTION else "text", ("text", "json"))


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = environ.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


def _int(environ: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = environ.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name} must be an integer, got {raw!r}") from exc
    if not lo <= value <= hi:
        raise ConfigError(f"{PREFIX}{name} must be between {lo} and {hi}, got {value}")
    return value


def default_employee_link(public_url: str) -> str:
    """The employee's Overview in the admin UI under ``public_url``, still holding ``{realm}`` and ``{user_id}``."""
    return DEFAULT_EMPLOYEE_LINK.replace("{public_url}", public_url.rstrip("/"))


def _employee_link(environ: Mapping[str, str]) -> str:
    """The link template of the supervisor notice ("" = the default); only ``{realm}`` and ``{user_id}``."""
    key = PREFIX + "EMPLOYEE_LINK"
    template = (environ.get(key) or "").strip()
    if not template:
        return ""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{key} is not a valid template: {exc}") from exc
    if not fields <= EMPLOYEE_LINK_FIELDS or "" in fields:
        raise ConfigError(f"{key} may only use {{realm}} and {{user_id}}, got {template!r}")
    if "user_id" not in fields:
        raise ConfigError(f"{key} must contain {{user_id}}, got {template!r}")
    return template


def _smtp_login(environ: Mapping[str, str], smtp_host: str | None) -> tuple[str | None, str | None]:
    """The SMTP user and password. They go only to MFA_RECOVERY_SMTP_HOST (notifications/smtp.py says why), so
    without it they could never be used: refuse that at start."""
    user = environ.get(PREFIX + "SMTP_USER") or None
    password = _read_optional_secret(environ, "SMTP_PASSWORD")
    if (user or password) and not smtp_host:
        raise ConfigError(
            f"{PREFIX}SMTP_USER and {PREFIX}SMTP_PASSWORD need {PREFIX}SMTP_HOST: the sidecar logs in only to "
            "its own SMTP host, never to the host a realm's email settings name"
        )
    return user, password


def _operator_realm(environ: Mapping[str, str]) -> str:
    """The realm whose role makes a recovery desk operator (default ``master``)."""
    value = (environ.get(PREFIX + "DESK_OPERATOR_REALM") or "").strip() or "master"
    if not is_realm_name(value):
        raise ConfigError(f"{PREFIX}DESK_OPERATOR_REALM must be a realm name, got {value!r}")
    return value


def _operator_role(environ: Mapping[str, str]) -> str:
    """The realm role that makes a recovery desk operator (default ``mfa-recovery-operator``)."""
    value = (environ.get(PREFIX + "DESK_OPERATOR_ROLE") or "").strip() or "mfa-recovery-operator"
    if len(value) > 255 or not plain_text.is_one_line(value):
        raise ConfigError(f"{PREFIX}DESK_OPERATOR_ROLE must be one line of at most 255 characters")
    return value


def _names(environ: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list; unset or blank gives ``default``."""
    raw = environ.get(PREFIX + name) or ""
    names = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    return names or default


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    code_pepper: str
    # Keys the audit trail's hash chain; apart from the pepper (one leaked secret must not give both).
    audit_key: str
    keycloak_url: str
    keycloak_client_id: str
    keycloak_client_secret: str
    backup_code_count: int
    # The sidecar's own key: every 200 answer of the bridge API carries its signature (bridge_auth/answers.py).
    answer_signing_key: Ed25519PrivateKey = field(repr=False, compare=False)
    # The bridge API's own port (``serve --bridge-port``); None: everything on one port (development only).
    bridge_port: int | None = None
    # Per-user limit on failed recovery verifications (held in the store, so it spans replicas).
    failure_limit: int = 5
    failure_window_seconds: int = 900
    lockout_seconds: int = 900
    # The same per source address (the IP Keycloak saw), across users: wrong codes in 15 minutes, codes mailed and
    # supervisor notices in an hour. Keycloak must pass the client's address (--proxy-headers behind a proxy), or
    # every request shares the proxy's and these limits hold everyone.
    source_failure_limit: int = 20
    source_mail_limit: int = 20
    source_notice_limit: int = 10
    # Notification mails after a recovery sign-in.
    notifications_enabled: bool = True
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_from: str | None = None
    smtp_tls: str | None = None  # "off" | "starttls" | "ssl"; None: the realm's ssl/starttls flags
    smtp_user: str | None = None
    smtp_password: str | None = None
    # Browser-facing base of Keycloak (links in mails); from_env defaults it to keycloak_url.
    keycloak_public_url: str = ""
    # Template of the link to an employee's page in the supervisor notice ({realm}, {user_id}); "" = the
    # employee's Overview in the admin UI under public_url (see employee_link_template).
    employee_link: str = ""
    # Admin API: the clients an administrator's token may be issued to.
    admin_clients: tuple[str, ...] = DEFAULT_ADMIN_CLIENTS
    # Admin web UI: its Keycloak client (confidential, authorization code + PKCE) in each realm, and the
    # sidecar's own browser-facing base URL (redirect URIs, the Origin of forms, the cookie's Secure flag).
    # ``admin_ui_client_secret`` None: production without the secret, the UI is off.
    admin_ui_client_id: str = DEFAULT_ADMIN_UI_CLIENT_ID
    admin_ui_client_secret: str | None = DEVELOPMENT_ADMIN_UI_CLIENT_SECRET
    public_url: str = DEFAULT_PUBLIC_URL
    # Where the SQLite store lives by default, and the recovery desk's encrypted documents (``desk/`` in it).
    data_dir: str = DEFAULT_DATA_DIR
    # Recovery desk (docs/desk.md). ``desk_key``: the secret its document key is derived from; None: the desk is
    # off (production without MFA_RECOVERY_DESK_KEY). Documents of decided cases, and whole cases after
    # ``desk_retention_days``, are deleted by ``mfa-recovery desk purge``. Per document: bytes as sent. Requests:
    # ``desk_source_limit`` an hour from one address (every request, filed or refused), ``desk_account_limit`` cases
    # a day for one account of a realm.
    desk_key: str | None = field(default=None, repr=False, compare=False)
    desk_retention_days: int = 30
    desk_max_pdf_bytes: int = 10 * MIB
    desk_max_image_bytes: int = 10 * MIB
    desk_source_limit: int = 10
    desk_account_limit: int = 3
    # Recovery desk operators: holders of the realm role ``desk_operator_role`` of ``desk_operator_realm``, calling
    # with an access token that realm issued.
    desk_operator_realm: str = "master"
    desk_operator_role: str = "mfa-recovery-operator"
    # Observability (docs/architecture.md, "Observability"): ``/metrics`` on the main listener (off by default),
    # behind ``Authorization: Bearer <metrics_token>`` when a token is set (required in production); the log
    # format, "json" (one object a line) or "text".
    metrics_enabled: bool = False
    metrics_token: str | None = field(default=None, repr=False, compare=False)
    log_format: str = "text"

    @property
    def issuer_base_url(self) -> str:
        """Where Keycloak's tokens say they come from (``iss`` is ``{this}/realms/{realm}``): the public URL."""
        return self.keycloak_public_url or self.keycloak_url

    @property
    def employee_link_template(self) -> str:
        return self.employee_link or default_employee_link(self.public_url)

    @property
    def desk_dir(self) -> Path:
        """The recovery desk's encrypted documents: ``desk/`` in the data directory."""
        return Path(self.data_dir) / "desk"

    @property
    def is_production(self) -> bool:
        return self.env == PRODUCTION

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(env={self.env!r}, database_url={self.database_url!r}, keycloak_url={self.keycloak_url!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, serving: bool = False) -> Settings:
        """Read the settings; ``serving``: for ``serve`` (production then requires the bridge port). Raises one
        :class:`ConfigError` naming every problem found."""
        env = _env(environ)
        problems = _Problems()
        data_dir = environ.get(PREFIX + "DATA_DIR") or DEFAULT_DATA_DIR
        database_url = environ.get(PREFIX + "DATABASE_URL") or (f"sqlite:///{Path(data_dir) / 'mfa-recovery.db'}")
        default_keycloak_url = "http://127.0.0.1:8080"
        keycloak_url = problems.check(
            lambda: _keycloak_url(environ, "KEYCLOAK_URL", default_keycloak_url, env), default_keycloak_url
        )
        keycloak_public_url = problems.check(
            lambda: _keycloak_url(environ, "KEYCLOAK_PUBLIC_URL", keycloak_url, env), keycloak_url
        )
        smtp_host = (environ.get(PREFIX + "SMTP_HOST") or "").strip() or None
        no_login: tuple[str | None, str | None] = (None, None)
        metrics_enabled = problems.check(lambda: _choice(environ, "METRICS", "off", ("on", "off")) == "on", False)
        smtp_user, smtp_password = problems.check(lambda: _smtp_login(environ, smtp_host), no_login)
        settings = cls(
            env=env,
            database_url=database_url,
            code_pepper=problems.check(lambda: _read_secret(environ, "CODE_PEPPER", DEVELOPMENT_CODE_PEPPER, env), ""),
            audit_key=problems.check(lambda: _read_secret(environ, "AUDIT_KEY", DEVELOPMENT_AUDIT_KEY, env), ""),
            keycloak_url=keycloak_url,
            keycloak_client_id=environ.get(PREFIX + "KEYCLOAK_CLIENT_ID") or "mfa-recovery-sidecar",
            keycloak_client_secret=problems.check(
                lambda: _read_secret(environ, "KEYCLOAK_CLIENT_SECRET", DEVELOPMENT_KEYCLOAK_CLIENT_SECRET, env), ""
            ),
            # Default code count of realms without saved options (the realm option's own range).
            backup_code_count=problems.check(lambda: _int(environ, "BACKUP_CODE_COUNT", 10, 5, 20), 10),
            answer_signing_key=problems.check(lambda: _answer_signing_key(environ), None),  # type: ignore[arg-type]
            bridge_port=problems.check(lambda: _bridge_port(environ, env, serving), None),
            failure_limit=problems.check(lambda: _int(environ, "FAILURE_LIMIT", 5, 1, 1000), 5),
            failure_window_seconds=problems.check(
                lambda: _int(environ, "FAILURE_WINDOW_SECONDS", 900, 1, 7 * 86400), 900
            ),
            lockout_seconds=problems.check(lambda: _int(environ, "LOCKOUT_SECONDS", 900, 1, 7 * 86400), 900),
            source_failure_limit=problems.check(lambda: _int(environ, "SOURCE_FAILURE_LIMIT", 20, 1, 100000), 20),
            source_mail_limit=problems.check(lambda: _int(environ, "SOURCE_MAIL_LIMIT", 20, 1, 100000), 20),
            source_notice_limit=problems.check(lambda: _int(environ, "SOURCE_NOTICE_LIMIT", 10, 1, 100000), 10),
            notifications_enabled=problems.check(
                lambda: _choice(environ, "NOTIFICATIONS", "on", ("on", "off")) == "on", False
            ),
            smtp_host=smtp_host,
            smtp_port=problems.check(lambda: _int(environ, "SMTP_PORT", 0, 1, 65535), 0) or None,
            smtp_from=(environ.get(PREFIX + "SMTP_FROM") or "").strip() or None,
            smtp_tls=problems.check(lambda: _choice(environ, "SMTP_TLS", "", ("off", "starttls", "ssl")), "") or None,
            smtp_user=smtp_user,
            smtp_password=smtp_password,
            keycloak_public_url=keycloak_public_url,
            employee_link=problems.check(lambda: _employee_link(environ), ""),
            admin_clients=_names(environ, "ADMIN_CLIENTS", DEFAULT_ADMIN_CLIENTS),
            admin_ui_client_id=(environ.get(PREFIX + "ADMIN_UI_CLIENT_ID") or "").strip() or DEFAULT_ADMIN_UI_CLIENT_ID,
            admin_ui_client_secret=problems.check(lambda: _admin_ui_client_secret(environ, env), None),
            public_url=problems.check(lambda: _public_url(environ, env), DEFAULT_PUBLIC_URL),
            data_dir=data_dir,
            desk_key=problems.check(lambda: _desk_key(environ, env), None),
            desk_retention_days=problems.check(lambda: _int(environ, "DESK_RETENTION_DAYS", 30, 1, 3650), 30),
            desk_max_pdf_bytes=problems.check(
                lambda: _int(environ, "DESK_MAX_PDF_BYTES", 10 * MIB, 1024, 100 * MIB), 10 * MIB
            ),
            desk_max_image_bytes=problems.check(
                lambda: _int(environ, "DESK_MAX_IMAGE_BYTES", 10 * MIB, 1024, 100 * MIB), 10 * MIB
            ),
            desk_source_limit=problems.check(lambda: _int(environ, "DESK_SOURCE_LIMIT", 10, 1, 100000), 10),
            desk_account_limit=problems.check(lambda: _int(environ, "DESK_ACCOUNT_LIMIT", 3, 1, 1000), 3),
            desk_operator_realm=problems.check(lambda: _operator_realm(environ), "master"),
            desk_operator_role=problems.check(lambda: _operator_role(environ), "mfa-recovery-operator"),
            metrics_enabled=metrics_enabled,
            metrics_token=problems.check(lambda: _metrics_token(environ, env, metrics_enabled), None),
            log_format=problems.check(lambda: log_format(environ), "text"),
        )
        if settings.audit_key and settings.audit_key == settings.code_pepper:
            problems.lines.append(
                f"{PREFIX}AUDIT_KEY must differ from {PREFIX}CODE_PEPPER: one leaked secret must not give both"
            )
        if settings.desk_key and settings.desk_key in (settings.code_pepper, settings.audit_key):
            problems.lines.append(
                f"{PREFIX}DESK_KEY must differ from {PREFIX}CODE_PEPPER and {PREFIX}AUDIT_KEY: one leaked secret "
                "must not give another"
            )
        if problems.lines:
            raise ConfigError(*problems.lines)
        return settings
