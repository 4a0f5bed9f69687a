"""End-to-end sign-in time: our backup code vs Keycloak's built-in recovery code, on one Keycloak, in one run.

Run by hand (not part of the test suite):  python bench/signin_vs_builtin.py

It starts the bench instance (``MFA_RECOVERY_INSTANCE=bench scripts/keycloak.sh start``, Keycloak on 28080/29000
with a fresh database) and a sidecar of its own on 28081 (bridge API on 28082), with fresh secrets, and stops both
at the end. In realm ``acme`` it adds a browser flow for Keycloak's built-in recovery codes (username + password,
then a conditional 2FA subflow with ``auth-recovery-authn-code-form``), bound to a second public client, so both
methods run in the same realm, theme and policies; only the flow differs.

- ours: password, the OTP page, "Use backup code/email", a backup code (issued with ``mfa-recovery codes issue``);
- built-in: password, then a recovery code (the user got the codes through the CONFIGURE_RECOVERY_AUTHN_CODES
  required action, driven over HTTP, codes read from the page);
- reference: password + TOTP (a fresh user each time: Keycloak refuses a TOTP code used twice).

Every sign-in uses a fresh code (and, for TOTP, a fresh user); the methods are interleaved in a random order in
each round, after a warm-up. A sign-in is timed from the authorization request to the redirect carrying the
authorization code, through one ``requests.Session`` per sign-in that clears the ``Secure`` flag of Keycloak's
cookies (as tests/support/signin.py does); the code is then exchanged for tokens, untimed, to prove it worked.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pyotp
import requests
from bs4 import BeautifulSoup
from keycloak import KeycloakAdmin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.support

from tests.support.employees import otp_credential
from tests.support.soup import attribute
from tests.support.stack import SidecarServer, write_new_answer_key

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
INSTANCE = "bench"
REALM = "acme"
OUR_CLIENT = "mfa-recovery-demo"  # realm acme's client; browser flow: the realm's mfa-browser
BUILTIN_CLIENT = "bench-builtin-recovery"  # added here; browser flow: builtin-recovery-browser
BUILTIN_FLOW = "builtin-recovery-browser"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
TIMEOUT = 30
# Codes used per user, for both methods. A typical sign-in, not the last ones of a set: with 10 codes and the
# realm's default warning threshold of 3, our bridge asks for a new set once 3 or fewer remain.
USES_PER_USER = 6


class SignInFailed(RuntimeError):
    pass


# --- the HTTP client ------------------------------------------------------------------------------------------


class Browser:
    """One sign-in of a public PKCE client, by reading and posting Keycloak's forms."""

    def __init__(self, keycloak_url: str, client_id: str) -> None:
        self.keycloak_url = keycloak_url
        self.client_id = client_id
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "mfa-recovery-bench/1.0"
        self.verifier = secrets.token_urlsafe(48)
        self.state = secrets.token_urlsafe(16)
        self.response: requests.Response | None = None
        self._soup: BeautifulSoup | None = None
        self.requests = 0

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        response = self.http.request(method, url, allow_redirects=False, timeout=TIMEOUT, **kwargs)
        self.requests += 1
        for cookie in self.http.cookies:
            cookie.secure = False  # Keycloak marks them Secure; a browser still sends them to http://127.0.0.1
        return response

    def _land(self, response: requests.Response) -> None:
        while response.status_code in (301, 302, 303) and not response.headers["Location"].startswith(REDIRECT_URI):
            response = self._request("GET", response.headers["Location"])
        self.response = response
        self._soup = None

    @property
    def soup(self) -> BeautifulSoup:
        if self._soup is None:
            assert self.response is not None
            self._soup = BeautifulSoup(self.response.text, "html.parser")
        return self._soup

    def text(self) -> str:
        return " ".join(self.soup.get_text(" ").split())[:400]

    def has(self, element_id: str) -> bool:
        return self.soup.find(id=element_id) is not None

    def open(self) -> None:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "openid",
                "state": self.state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        self._land(self._request("GET", f"{self.keycloak_url}/realms/{REALM}/protocol/openid-connect/auth?{query}"))

    def post(self, form_id: str, values: dict[str, str]) -> None:
        form = self.soup.find("form", id=form_id)
        if form is None:
            raise SignInFailed(f"no form #{form_id} on the page: {self.text()}")
        fields = {
            attribute(field, "name"): attribute(field, "value", "")
            for field in form.find_all("input")
            if field.get("name") and field.get("type") not in ("radio", "checkbox")
        }
        fields.update(values)
        self._land(self._request("POST", attribute(form, "action"), data=fields))

    def finished(self) -> bool:
        assert self.response is not None
        location = self.response.headers.get("Location", "")
        return self.response.status_code in (302, 303) and location.startswith(REDIRECT_URI)

    def exchange(self) -> dict:
        """Exchange the authorization code for tokens (proves the sign-in worked)."""
        if not self.finished():
            raise SignInFailed(f"the sign-in did not finish: {self.text()}")
        assert self.response is not None
        query = parse_qs(urlparse(self.response.headers["Location"]).query)
        if query.get("state") != [self.state]:
            raise SignInFailed("state mismatch")
        response = requests.post(
            f"{self.keycloak_url}/realms/{REALM}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "redirect_uri": REDIRECT_URI,
                "code": query["code"][0],
                "code_verifier": self.verifier,
            },
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return response.json()


# --- the three sign-ins ---------------------------------------------------------------------------------------


def password_step(browser: Browser, username: str, password: str) -> None:
    browser.open()
    browser.post("kc-form-login", {"username": username, "password": password})


def sign_in_with_backup_code(keycloak_url: str, username: str, password: str, code: str) -> Browser:
    browser = Browser(keycloak_url, OUR_CLIENT)
    password_step(browser, username, password)
    browser.post("mfa-recovery-link-form", {})  # "Use backup code/email" on the OTP page
    browser.post("mfa-recovery-choice-form", {"choice": "backup_code"})  # "Use a backup code" on the choice page
    browser.post("mfa-recovery-code-form", {"backupCode": code})
    if not browser.finished() and browser.has("mfa-recovery-continue-form"):
        browser.post("mfa-recovery-continue-form", {"continue": ""})  # the "signed in, N codes left" page
    return browser


def sign_in_with_builtin_recovery_code(keycloak_url: str, username: str, password: str, code: str) -> Browser:
    browser = Browser(keycloak_url, BUILTIN_CLIENT)
    password_step(browser, username, password)
    browser.post("kc-recovery-code-login-form", {"recoveryCodeInput": code})
    return browser


def sign_in_with_totp(keycloak_url: str, username: str, password: str, totp_secret: str) -> Browser:
    browser = Browser(keycloak_url, OUR_CLIENT)
    password_step(browser, username, password)
    browser.post("kc-otp-login-form", {"otp": pyotp.TOTP(totp_secret).now()})
    return browser


# --- the stack ------------------------------------------------------------------------------------------------


def instance_settings() -> dict[str, str]:
    """The bench instance's ports and directory, from scripts/common.sh (one place defines them)."""
    names = (
        "MFA_RECOVERY_KEYCLOAK_URL",
        "MFA_RECOVERY_SIDECAR_PORT",
        "MFA_RECOVERY_BRIDGE_PORT",
        "MFA_RECOVERY_SMTP_PORT",
        "MFA_INSTANCE_DIR",
    )
    script = f"source {SCRIPTS / 'common.sh'}; " + "; ".join(f'echo "{name}=${name}"' for name in names)
    env = dict(os.environ, MFA_RECOVERY_INSTANCE=INSTANCE)
    output = subprocess.run(["bash", "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


class Stack:
    def __init__(self, data_dir: Path) -> None:
        settings = instance_settings()
        self.keycloak_url = settings["MFA_RECOVERY_KEYCLOAK_URL"]
        self.sidecar_port = int(settings["MFA_RECOVERY_SIDECAR_PORT"])
        self.bridge_port = int(settings["MFA_RECOVERY_BRIDGE_PORT"])
        self.instance_dir = Path(settings["MFA_INSTANCE_DIR"])
        self.admin_username = "bench-admin"
        self.admin_password = secrets.token_urlsafe(18)
        self.environ = {name: value for name, value in os.environ.items() if not name.startswith("MFA_RECOVERY_")}
        self.environ.update(
            MFA_RECOVERY_INSTANCE=INSTANCE,
            MFA_RECOVERY_ENV="development",
            KC_BOOTSTRAP_ADMIN_USERNAME=self.admin_username,
            KC_BOOTSTRAP_ADMIN_PASSWORD=self.admin_password,
            # A fresh answer signing key; Keycloak's script reads its public key from the same file.
            MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE=str(data_dir / "answer-signing-key.pem"),
            MFA_RECOVERY_BRIDGE_PORT=str(self.bridge_port),
            MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET=secrets.token_urlsafe(24),
            MFA_RECOVERY_CODE_PEPPER=secrets.token_urlsafe(36),
            MFA_RECOVERY_KEYCLOAK_URL=self.keycloak_url,
            MFA_RECOVERY_DATA_DIR=str(data_dir),
            MFA_RECOVERY_SMTP_HOST="127.0.0.1",
            MFA_RECOVERY_SMTP_PORT=settings["MFA_RECOVERY_SMTP_PORT"],
        )
        if "MFA_RECOVERY_SKIP_BRIDGE_BUILD" in os.environ:
            self.environ["MFA_RECOVERY_SKIP_BRIDGE_BUILD"] = os.environ["MFA_RECOVERY_SKIP_BRIDGE_BUILD"]
        write_new_answer_key(data_dir / "answer-signing-key.pem")
        self.sidecar = SidecarServer(
            self.sidecar_port, self.environ, data_dir / "sidecar.log", bridge_port=self.bridge_port
        )

    def keycloak(self, command: str, **extra: str) -> None:
        # Its messages go to stderr, so stdout carries only the table.
        subprocess.run(
            [str(SCRIPTS / "keycloak.sh"), command], env=dict(self.environ, **extra), check=True, stdout=sys.stderr
        )

    def start(self) -> None:
        self.keycloak("stop")  # one left over from an interrupted run would hold the ports
        self.sidecar.start()
        self.keycloak("start", KEYCLOAK_FRESH="1")

    def stop(self) -> None:
        try:
            self.keycloak("stop")
        finally:
            self.sidecar.stop()

    def admin(self) -> KeycloakAdmin:
        return KeycloakAdmin(
            server_url=self.keycloak_url,
            username=self.admin_username,
            password=self.admin_password,
            realm_name=REALM,
            user_realm_name="master",
        )

    def issue_backup_codes(self, username: str) -> list[str]:
        result = subprocess.run(
            [self.sidecar.executable, "codes", "issue", "--realm", REALM, "--user", username],
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise SystemExit(f"mfa-recovery codes issue failed: {result.stderr}")
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]


# --- realm set-up ---------------------------------------------------------------------------------------------


def add_builtin_recovery_flow(admin: KeycloakAdmin) -> None:
    """Flow builtin-recovery-browser (cookie | username + password, then a conditional 2FA subflow with
    Keycloak's recovery-code form), bound to a public PKCE client of its own."""
    admin.create_authentication_flow(
        {"alias": BUILTIN_FLOW, "providerId": "basic-flow", "topLevel": True, "builtIn": False}, skip_exists=True
    )
    forms, second = f"{BUILTIN_FLOW} forms", f"{BUILTIN_FLOW} 2fa"
    admin.create_authentication_flow_execution({"provider": "auth-cookie"}, BUILTIN_FLOW)
    admin.create_authentication_flow_subflow(
        {"alias": forms, "provider": "registration-page-form", "type": "basic-flow"}, BUILTIN_FLOW
    )
    admin.create_authentication_flow_execution({"provider": "auth-username-password-form"}, forms)
    admin.create_authentication_flow_subflow(
        {"alias": second, "provider": "registration-page-form", "type": "basic-flow"}, forms
    )
    admin.create_authentication_flow_execution({"provider": "conditional-user-configured"}, second)
    admin.create_authentication_flow_execution({"provider": "auth-recovery-authn-code-form"}, second)
    requirements = {
        "auth-cookie": "ALTERNATIVE",
        forms: "ALTERNATIVE",
        "auth-username-password-form": "REQUIRED",
        second: "CONDITIONAL",
        "conditional-user-configured": "REQUIRED",
        "auth-recovery-authn-code-form": "REQUIRED",
    }
    for execution in admin.get_authentication_flow_executions(BUILTIN_FLOW):
        key = execution["displayName"] if execution.get("authenticationFlow") else execution.get("providerId")
        if key in requirements and execution.get("requirement") != requirements[key]:
            execution["requirement"] = requirements[key]
            admin.update_authentication_flow_executions(execution, BUILTIN_FLOW)
    flow_id = next(flow["id"] for flow in admin.get_authentication_flows() if flow["alias"] == BUILTIN_FLOW)
    admin.create_client(
        {
            "clientId": BUILTIN_CLIENT,
            "enabled": True,
            "publicClient": True,
            "standardFlowEnabled": True,
            "directAccessGrantsEnabled": False,
            "redirectUris": [REDIRECT_URI],
            "webOrigins": ["+"],
            "attributes": {"pkce.code.challenge.method": "S256"},
            "authenticationFlowBindingOverrides": {"browser": flow_id},
        },
        skip_exists=True,
    )


def create_user(admin: KeycloakAdmin, prefix: str, *, totp_secret: str | None = None, actions=()) -> tuple[str, str]:
    username = f"bench-{prefix}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    credentials = [{"type": "password", "value": password, "temporary": False}]
    if totp_secret:
        credentials.append(otp_credential(totp_secret))
    admin.create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@acme.example",
            "emailVerified": True,
            "firstName": "Bench",
            "lastName": prefix.title(),
            "credentials": credentials,
            "requiredActions": list(actions),
        }
    )
    return username, password


def enrol_builtin_recovery_codes(keycloak_url: str, username: str, password: str) -> list[str]:
    """Sign in once through the built-in flow; the CONFIGURE_RECOVERY_AUTHN_CODES page shows the codes (and its
    form carries them in the hidden field generatedRecoveryAuthnCodes, comma-separated); "Complete setup"."""
    browser = Browser(keycloak_url, BUILTIN_CLIENT)
    password_step(browser, username, password)
    field = browser.soup.find("input", attrs={"name": "generatedRecoveryAuthnCodes"})
    form = None if field is None else field.find_parent("form")
    if field is None or form is None:
        raise SignInFailed(f"no recovery-codes page: {browser.text()}")
    codes = [code for code in attribute(field, "value", "").split(",") if code]
    shown = browser.soup.find(id="kc-recovery-codes-list")
    if not codes or shown is None or len(shown.find_all("li")) != len(codes):
        raise SignInFailed(f"the page does not show the codes of its form: {browser.text()}")
    browser.post(attribute(form, "id"), {})
    browser.exchange()
    return codes


# --- the measurement ------------------------------------------------------------------------------------------


class Supply:
    """Fresh credentials for each sign-in of each method."""

    def __init__(self, stack: Stack, admin: KeycloakAdmin, sign_ins: int) -> None:
        self.stack, self.admin, self.sign_ins = stack, admin, sign_ins
        self.backup: list[tuple[str, str, str]] = []
        self.builtin: list[tuple[str, str, str]] = []
        self.totp: list[tuple[str, str, str]] = []

    def prepare(self) -> None:
        while len(self.backup) < self.sign_ins:
            secret = pyotp.random_base32()
            username, password = create_user(self.admin, "ours", totp_secret=secret)
            self.backup += [
                (username, password, code) for code in self.stack.issue_backup_codes(username)[:USES_PER_USER]
            ]
        while len(self.builtin) < self.sign_ins:
            username, password = create_user(self.admin, "builtin", actions=["CONFIGURE_RECOVERY_AUTHN_CODES"])
            codes = enrol_builtin_recovery_codes(self.stack.keycloak_url, username, password)
            self.builtin += [(username, password, code) for code in codes[:USES_PER_USER]]
        for _ in range(self.sign_ins):
            secret = pyotp.random_base32()
            username, password = create_user(self.admin, "totp", totp_secret=secret)
            self.totp.append((username, password, secret))
        # Codes are used in the order they were issued: Keycloak's form asks for "recovery code #n", the next one.


METHODS: dict[str, Callable[[str, str, str, str], Browser]] = {
    "backup code (ours)": sign_in_with_backup_code,
    "recovery code (built-in)": sign_in_with_builtin_recovery_code,
    "password + TOTP": sign_in_with_totp,
}


def timed(keycloak_url: str, method: str, credentials: tuple[str, str, str]) -> tuple[float, int]:
    """Seconds from the authorization request to the redirect with the code, and the HTTP requests it took."""
    started = time.perf_counter()
    browser = METHODS[method](keycloak_url, *credentials)
    elapsed = time.perf_counter() - started
    browser.exchange()
    return elapsed, browser.requests


def measure(stack: Stack, supply: Supply, rounds: int, warmup: int) -> tuple[dict[str, list[float]], Counter]:
    pools = {
        "backup code (ours)": supply.backup,
        "recovery code (built-in)": supply.builtin,
        "password + TOTP": supply.totp,
    }
    samples: dict[str, list[float]] = {method: [] for method in METHODS}
    requests_per_method: Counter = Counter()
    for round_number in range(warmup + rounds):
        order = list(METHODS)
        random.shuffle(order)
        for method in order:
            elapsed, count = timed(stack.keycloak_url, method, pools[method].pop(0))
            requests_per_method[method] = count
            if round_number >= warmup:
                samples[method].append(elapsed)
    return samples, requests_per_method


def quantile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def report(samples: dict[str, list[float]], requests_per_method: Counter, rounds: int, warmup: int) -> None:
    print(
        f"sign-in benchmark  {time.strftime('%Y-%m-%d %H:%M')}  {platform.node()}  {os.cpu_count()} cores  "
        f"Keycloak 26.7.3 start-dev, realm {REALM}"
    )
    print(f"{rounds} sign-ins per method, interleaved in random order, after {warmup} warm-up rounds")
    print()
    header = f"{'method':<26} {'n':>3} {'HTTP req':>8} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for method, values in samples.items():
        print(
            f"{method:<26} {len(values):>3} {requests_per_method[method]:>8} {1000 * statistics.median(values):>10.1f} "
            f"{1000 * quantile(values, 0.9):>8.1f} {1000 * min(values):>8.1f} {1000 * max(values):>8.1f}"
        )
    ours = statistics.median(samples["backup code (ours)"])
    builtin = statistics.median(samples["recovery code (built-in)"])
    ours90 = quantile(samples["backup code (ours)"], 0.9)
    builtin90 = quantile(samples["recovery code (built-in)"], 0.9)
    print()
    print(f"ours / built-in: median {ours / builtin:.2f}, p90 {ours90 / builtin90:.2f}   (target: <= 1.25)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="measured sign-ins per method")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured rounds first")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mfa-bench-signin-") as directory:
        stack = Stack(Path(directory))
        try:
            stack.start()
            admin = stack.admin()
            add_builtin_recovery_flow(admin)
            supply = Supply(stack, admin, args.rounds + args.warmup)
            supply.prepare()
            samples, requests_per_method = measure(stack, supply, args.rounds, args.warmup)
        finally:
            stack.stop()
    report(samples, requests_per_method, args.rounds, args.warmup)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
