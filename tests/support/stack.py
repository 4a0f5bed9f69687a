"""The servers a test run needs, started once per run on the test instance's own ports.

Keycloak is started through ``scripts/keycloak.sh`` (the same script a developer uses), with a fresh database
so the realm is imported anew; the sidecar runs as a child process the tests can stop and start again.
Ports and paths come from ``scripts/common.sh`` so that there is one place that defines them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from keycloak import KeycloakAdmin
from sqlalchemy import create_engine

from mfa_recovery.bridge_auth.answers import new_private_key_pem
from mfa_recovery.desk.intake import DocumentKind
from mfa_recovery.desk.repository import SqlDeskRepository
from mfa_recovery.desk.vault import DocumentVault, VaultFiles

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
# The test run's instance: "test", or "test-production" for the pass against Keycloak in production mode
# (MFA_RECOVERY_KEYCLOAK_MODE=production; scripts/test.sh runs both).
INSTANCE = os.environ.get("MFA_RECOVERY_TEST_INSTANCE", "test")
# The sidecar's store for the run: "sqlite" (the embedded default, a file in the data directory) or "postgresql" (a
# database of its own in the instance's cluster, scripts/postgres.sh). scripts/test.sh runs the integration tests on
# both.
STORE = os.environ.get("MFA_RECOVERY_TEST_STORE", "sqlite")
if STORE not in ("sqlite", "postgresql"):
    raise ValueError(f"MFA_RECOVERY_TEST_STORE must be sqlite or postgresql, not {STORE!r}")
TEST_ADMIN_CLIENT = "mfa-recovery-test-admin"  # created by the tests in acme and master (tests/support/admin_api.py)

_EXPORTED = (
    "MFA_RECOVERY_KEYCLOAK_URL",
    "MFA_RECOVERY_KEYCLOAK_PORT",
    "MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT",
    "MFA_RECOVERY_SIDECAR_URL",
    "MFA_RECOVERY_SIDECAR_PORT",
    "MFA_RECOVERY_BRIDGE_URL",
    "MFA_RECOVERY_BRIDGE_PORT",
    "MFA_RECOVERY_SMTP_PORT",
    "MFA_INSTANCE_DIR",
    "REQUESTS_CA_BUNDLE",
    "MFA_RECOVERY_POSTGRES_PORT",
)


@dataclass(frozen=True)
class StackConfig:
    keycloak_url: str
    sidecar_url: str  # the admin API and UI (what browsers reach)
    sidecar_port: int
    smtp_port: int
    instance_dir: Path
    admin_username: str
    admin_password: str
    sidecar_client_secret: str
    admin_ui_client_secret: str
    bridge_url: str  # the bridge API, for Keycloak only
    bridge_port: int
    desk_key: str  # the recovery desk's document key, fresh each run
    keycloak_ca: str  # the certificate of a production-mode Keycloak (HTTPS), trusted by the sidecar and the tests
    postgres_port: int  # the instance's PostgreSQL (scripts/postgres.sh): a production-mode Keycloak's database

    def keycloak_admin(self, realm: str) -> KeycloakAdmin:
        """Keycloak's admin API on ``realm``, as the master realm's bootstrap administrator."""
        return KeycloakAdmin(
            server_url=self.keycloak_url,
            username=self.admin_username,
            password=self.admin_password,
            realm_name=realm,
            user_realm_name="master",
        )

    @property
    def answer_key_file(self) -> Path:
        """The sidecar's answer signing key; Keycloak's script reads its public key from the same file."""
        return self.instance_dir / "sidecar" / "answer-signing-key.pem"

    @property
    def environ(self) -> dict[str, str]:
        """The environment both Keycloak's script and the sidecar are started with."""
        env = dict(os.environ)
        env.pop("MFA_RECOVERY_ANSWER_SIGNING_KEY", None)  # the run's own key file below
        env.update(
            MFA_RECOVERY_INSTANCE=INSTANCE,
            MFA_RECOVERY_ENV="development",
            KC_BOOTSTRAP_ADMIN_USERNAME=self.admin_username,
            KC_BOOTSTRAP_ADMIN_PASSWORD=self.admin_password,
            MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE=str(self.answer_key_file),
            MFA_RECOVERY_BRIDGE_PORT=str(self.bridge_port),
            MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET=self.sidecar_client_secret,
            MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET=self.admin_ui_client_secret,
            MFA_RECOVERY_PUBLIC_URL=self.sidecar_url,
            MFA_RECOVERY_KEYCLOAK_URL=self.keycloak_url,
            MFA_RECOVERY_DATA_DIR=str(self.instance_dir / "sidecar"),
            MFA_RECOVERY_DESK_KEY=self.desk_key,
            MFA_RECOVERY_LOG_FORMAT="json",  # as in production: tests/integration/test_logs.py reads the lines
            # Every test signs in from 127.0.0.1: the limits per source address would hold the whole run after a
            # few tests. They are proven by tests/unit/test_source_limits.py and test_desk_filing.py.
            MFA_RECOVERY_SOURCE_FAILURE_LIMIT="100000",
            MFA_RECOVERY_SOURCE_MAIL_LIMIT="100000",
            MFA_RECOVERY_SOURCE_NOTICE_LIMIT="100000",
            MFA_RECOVERY_DESK_SOURCE_LIMIT="100000",
            # The admin API accepts tokens of the realm's admin client and of the tests' own password-grant client.
            MFA_RECOVERY_ADMIN_CLIENTS=f"mfa-recovery-admin,{TEST_ADMIN_CLIENT}",
        )
        return env


def load_config() -> StackConfig:
    """Read the test instance's ports from scripts/common.sh; make fresh secrets (and answer key) for this run."""
    script = f"source {SCRIPTS / 'common.sh'}; " + "; ".join(f'echo "{name}=${name}"' for name in _EXPORTED)
    env = dict(os.environ, MFA_RECOVERY_INSTANCE=INSTANCE)
    output = subprocess.run(["bash", "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    values = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    config = StackConfig(
        keycloak_url=values["MFA_RECOVERY_KEYCLOAK_URL"],
        sidecar_url=values["MFA_RECOVERY_SIDECAR_URL"],
        sidecar_port=int(values["MFA_RECOVERY_SIDECAR_PORT"]),
        smtp_port=int(values["MFA_RECOVERY_SMTP_PORT"]),
        instance_dir=Path(values["MFA_INSTANCE_DIR"]),
        admin_username="test-admin",
        admin_password=secrets.token_urlsafe(18),
        sidecar_client_secret=secrets.token_urlsafe(24),
        admin_ui_client_secret=secrets.token_urlsafe(24),
        bridge_url=values["MFA_RECOVERY_BRIDGE_URL"],
        bridge_port=int(values["MFA_RECOVERY_BRIDGE_PORT"]),
        desk_key=secrets.token_urlsafe(32),
        keycloak_ca=values.get("REQUESTS_CA_BUNDLE", ""),
        postgres_port=int(values["MFA_RECOVERY_POSTGRES_PORT"]),
    )
    if config.keycloak_ca:  # python-keycloak and requests in this process too
        os.environ["REQUESTS_CA_BUNDLE"] = config.keycloak_ca
    write_new_answer_key(config.answer_key_file)
    return config


def write_new_answer_key(path: Path) -> None:
    """A fresh answer signing key at ``path`` (mode 0600), replacing an older one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    _, pem = new_private_key_pem()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)


class KeycloakServer:
    def __init__(self, config: StackConfig):
        self.config = config

    def _script(self, command: str, **extra_env: str) -> None:
        env = dict(self.config.environ, **extra_env)
        subprocess.run([str(SCRIPTS / "keycloak.sh"), command], env=env, check=True)

    def start(self) -> None:
        # A Keycloak left over from an interrupted run would hold the ports. Its PostgreSQL stays: in production mode
        # the session's sidecar may already run on it (stopping it mid-boot would take the sidecar down).
        self._script("stop", KEYCLOAK_ONLY="1")
        self._script("start", KEYCLOAK_FRESH="1")

    def stop(self) -> None:
        self._script("stop")


class SidecarServer:
    """``mfa-recovery serve`` as a child process on 127.0.0.1, for the tests and the benchmarks: the admin API and
    UI on ``port`` (``url``), the bridge API on ``bridge_port`` (``bridge_url``; without one, on ``port`` too).
    ``ready_after``: seconds from spawning ``serve`` to /healthz answering 200 on both ports, polled every
    ``poll_seconds``."""

    poll_seconds = 0.2
    ready_after: float | None = None

    def __init__(
        self,
        port: int,
        environ: dict[str, str],
        log_path: Path,
        workers: int | None = None,
        bridge_port: int | None = None,
    ):
        self.port = port
        self.bridge_port = bridge_port
        self.environ = environ
        self.log_path = log_path
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bridge_url(self) -> str:
        """Where Keycloak (and a test acting as Keycloak) calls the bridge API."""
        return f"http://127.0.0.1:{self.bridge_port or self.port}"

    @property
    def executable(self) -> str:
        return str(Path(sys.executable).with_name("mfa-recovery"))

    def start(self) -> None:
        for url in dict.fromkeys((self.url, self.bridge_url)):
            if _answers(f"{url}/healthz"):
                raise RuntimeError(f"something already listens on {url}; stop it first")
        command = [self.executable, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.bridge_port:
            command += ["--bridge-port", str(self.bridge_port)]
        if self.workers:
            command += ["--workers", str(self.workers)]
        with open(self.log_path, "ab") as log:
            spawned = time.perf_counter()
            self.process = subprocess.Popen(
                command, env=self.environ, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        try:
            self._wait_until_healthy(self.process)
            self.ready_after = time.perf_counter() - spawned
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"sidecar exited with {process.returncode}; see {self.log_path}")
            if _answers(f"{self.url}/healthz") and _answers(f"{self.bridge_url}/healthz"):
                return
            time.sleep(self.poll_seconds)
        raise RuntimeError(f"sidecar did not become healthy; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


class SidecarProcess(SidecarServer):
    """The test run's sidecar, on the test instance's port and data directory, and on ``database_url`` (None: the
    SQLite file under the data directory)."""

    def __init__(self, config: StackConfig, database_url: str | None = None):
        self.database_url = database_url or f"sqlite:///{config.instance_dir / 'sidecar' / 'mfa-recovery.db'}"
        environ = dict(config.environ, MFA_RECOVERY_DATABASE_URL=self.database_url)
        super().__init__(
            config.sidecar_port, environ, config.instance_dir / "sidecar.log", bridge_port=config.bridge_port
        )
        self.config = config

    def desk_document(self, case_number: str, kind: DocumentKind) -> bytes:
        """A filed case's document as the desk keeps it, opened with this run's desk key."""
        engine = create_engine(self.database_url)
        try:
            repository = SqlDeskRepository(engine)
            case = repository.find_by_number(case_number)
            assert case is not None, case_number
            (document,) = [document for document in repository.documents(case.id) if document.kind is kind]
        finally:
            engine.dispose()
        vault = DocumentVault(VaultFiles(self.config.instance_dir / "sidecar" / "desk"), self.config.desk_key)
        return vault.open(case.id, document.id, kind, document.file_name)

    def desk_files(self) -> list[Path]:
        """The files in the desk's vault directory."""
        folder = self.config.instance_dir / "sidecar" / "desk"
        return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.executable, *args], env=self.environ, capture_output=True, text=True, timeout=60)

    def start(self) -> None:
        (self.config.instance_dir / "sidecar").mkdir(parents=True, exist_ok=True)
        super().start()

    def start_afresh(self) -> None:
        """Start on an empty store (a PostgreSQL database is made empty by the caller): the run begins with no
        codes, limits or audit events of an earlier run (as Keycloak starts on an empty database); the desk's
        document files of that run go with it. The schema comes from ``mfa-recovery db upgrade``, as an operator
        applies it before starting several sidecars."""
        if self.database_url.startswith("sqlite:///"):
            store = Path(self.database_url.removeprefix("sqlite:///"))
            for path in (store, store.with_name(store.name + "-wal"), store.with_name(store.name + "-shm")):
                path.unlink(missing_ok=True)
        shutil.rmtree(self.config.instance_dir / "sidecar" / "desk", ignore_errors=True)
        (self.config.instance_dir / "sidecar").mkdir(parents=True, exist_ok=True)
        upgraded = self.cli("db", "upgrade")
        if upgraded.returncode != 0:
            raise RuntimeError(f"mfa-recovery db upgrade failed:\n{upgraded.stdout}{upgraded.stderr}")
        self.start()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:  # not listening yet, or workers still booting
        return False
