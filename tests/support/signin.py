"""Drives Keycloak's browser sign-in over plain HTTP, the way a browser would, by reading and posting its forms.

Keycloak marks its login cookies ``Secure``; a browser still sends them to http://127.0.0.1, `requests` does
not. The session therefore clears that flag on every cookie it receives, or sign-ins fail with "Restart login
cookie not found".
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pyotp
import requests
from bs4 import BeautifulSoup

from tests.support.soup import attribute

DEMO_CLIENT_ID = "mfa-recovery-demo"
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"


class SignInError(AssertionError):
    """The page Keycloak showed is not the one the test expected."""


@dataclass
class Page:
    response: requests.Response

    @property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.response.text, "html.parser")

    @property
    def text(self) -> str:
        return " ".join(self.soup.get_text(" ").split())

    def has(self, element_id: str) -> bool:
        return self.soup.find(id=element_id) is not None

    def form(self, form_id: str) -> tuple[str, dict[str, str]]:
        form = self.soup.find("form", id=form_id)
        if form is None:
            raise SignInError(f"no form #{form_id} on the page: {self.text[:400]}")
        fields = {
            attribute(field, "name"): attribute(field, "value", "on" if field.get("type") == "checkbox" else "")
            for field in form.find_all("input")
            if field.get("name") and (field.get("type") not in ("radio", "checkbox") or field.has_attr("checked"))
        }
        return attribute(form, "action"), fields

    def button_form(self, button_id: str) -> tuple[str, dict[str, str]]:
        """The form a button submits, with the button's own name and value, as a browser would post it."""
        button = self.soup.find(id=button_id)
        if button is None:
            raise SignInError(f"no #{button_id} on the page: {self.text[:400]}")
        form = button.find_parent("form")
        if form is None or not form.get("id"):
            raise SignInError(f"#{button_id} is not in a form with an id")
        action, fields = self.form(attribute(form, "id"))
        if button.get("name"):
            fields[attribute(button, "name")] = attribute(button, "value", "")
        return action, fields

    def text_of(self, element_id: str) -> str:
        element = self.soup.find(id=element_id)
        if element is None:
            raise SignInError(f"no #{element_id} on the page: {self.text[:400]}")
        return " ".join(element.get_text(" ").split())


class DemoClient:
    """The demo application's side of authorization code + PKCE (S256): the URL it sends the user to, and the
    exchange of the code Keycloak sends back."""

    def __init__(
        self,
        keycloak_url: str,
        realm: str = "acme",
        ui_locales: str | None = None,
        timeout: float = 15,
        kc_action: str | None = None,
    ):
        self.keycloak_url = keycloak_url.rstrip("/")
        self.realm = realm
        self.ui_locales = ui_locales
        self.kc_action = kc_action
        self.timeout = timeout
        self.verifier = secrets.token_urlsafe(48)
        self.state = secrets.token_urlsafe(16)

    def authorization_url(self) -> str:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        params = {
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": DEMO_REDIRECT_URI,
            "response_type": "code",
            "scope": "openid",
            "state": self.state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if self.ui_locales:
            params["ui_locales"] = self.ui_locales
        if self.kc_action:
            params["kc_action"] = self.kc_action
        return f"{self.keycloak_url}/realms/{self.realm}/protocol/openid-connect/auth?{urlencode(params)}"

    def code_from_callback(self, url: str) -> str:
        query = parse_qs(urlparse(url).query)
        if query.get("state") != [self.state]:
            raise SignInError("state mismatch")
        return query["code"][0]

    def exchange(self, code: str) -> dict:
        """Exchange the authorization code for tokens."""
        response = requests.post(
            f"{self.keycloak_url}/realms/{self.realm}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "client_id": DEMO_CLIENT_ID,
                "redirect_uri": DEMO_REDIRECT_URI,
                "code": code,
                "code_verifier": self.verifier,
            },
            timeout=self.timeout,
        )
        response.raise_for_status()
        return response.json()


class SignIn:
    """One sign-in attempt of the demo client (authorization code + PKCE), step by step."""

    def __init__(
        self,
        keycloak_url: str,
        realm: str = "acme",
        ui_locales: str | None = None,
        timeout: float = 15,
        kc_action: str | None = None,
    ):
        self.client = DemoClient(keycloak_url, realm, ui_locales, timeout, kc_action)
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "mfa-recovery-tests/1.0"
        self._page: Page | None = None
        self._node: str | None = None

    def via(self, node_url: str) -> SignIn:
        """Send the next steps to another node of the same Keycloak (as a load balancer before a cluster may): every
        URL of Keycloak's public address goes to ``node_url`` instead."""
        self._node = node_url.rstrip("/")
        return self

    @property
    def page(self) -> Page:
        """The page Keycloak shows now."""
        assert self._page is not None, "no page yet: the sign-in has not started"
        return self._page

    # -- plumbing ---------------------------------------------------------------------------------------------
    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        if self._node and url.startswith(self.client.keycloak_url + "/"):
            url = self._node + url.removeprefix(self.client.keycloak_url)
        response = self.http.request(method, url, allow_redirects=False, timeout=self.timeout, **kwargs)
        for cookie in self.http.cookies:
            cookie.secure = False
        return response

    def _follow(self, response: requests.Response) -> requests.Response:
        while response.status_code in (301, 302, 303) and not response.headers["Location"].startswith(
            DEMO_REDIRECT_URI
        ):
            response = self._request("GET", response.headers["Location"])
        return response

    def _post_form(self, form_id: str, values: dict[str, str]) -> Page:
        action, fields = self.page.form(form_id)
        fields.update(values)
        self._page = Page(self._follow(self._request("POST", action, data=fields)))
        return self.page

    def click(self, button_id: str, values: dict[str, str] | None = None) -> Page:
        """Press the button ``button_id``: post its form with the button's name and value and ``values``."""
        action, fields = self.page.button_form(button_id)
        fields.update(values or {})
        self._page = Page(self._follow(self._request("POST", action, data=fields)))
        return self.page

    # -- steps ------------------------------------------------------------------------------------------------
    def open(self) -> Page:
        self._page = Page(self._follow(self._request("GET", self.client.authorization_url())))
        return self.page

    def password(self, username: str, password: str) -> Page:
        if self._page is None:
            self.open()
        return self._post_form("kc-form-login", {"username": username, "password": password})

    def otp(self, code: str) -> Page:
        return self._post_form("kc-otp-login-form", {"otp": code})

    def switch_to_execution(self, form_id: str, execution_id: str) -> Page:
        """Post only ``authenticationExecution`` to the action of the form ``form_id``: what Keycloak's "Try another
        way" list sends, and what anyone can send by hand to ask for another step of the current subflow."""
        action, _ = self.page.form(form_id)
        response = self._request("POST", action, data={"authenticationExecution": execution_id})
        self._page = Page(self._follow(response))
        return self.page

    def builtin_recovery_codes(self) -> list[str]:
        """On Keycloak's own CONFIGURE_RECOVERY_AUTHN_CODES page: read the codes and press "Complete setup"."""
        field = self.page.soup.find("input", attrs={"name": "generatedRecoveryAuthnCodes"})
        form = None if field is None else field.find_parent("form")
        if field is None or form is None:
            raise SignInError(f"no recovery-codes page: {self.page.text[:400]}")
        self._post_form(attribute(form, "id"), {})
        return [code for code in attribute(field, "value", "").split(",") if code]

    def builtin_recovery_code(self, code: str) -> Page:
        """Sign in with one of Keycloak's own recovery codes."""
        return self._post_form("kc-recovery-code-login-form", {"recoveryCodeInput": code})

    def use_backup(self) -> Page:
        """Click "Use backup code/email" on the OTP page."""
        return self._post_form("mfa-recovery-link-form", {})

    def backup_code(self, code: str) -> Page:
        """Enter a backup code in the field on the choice page."""
        return self._post_form("mfa-recovery-code-form", {"backupCode": code})

    def choose(self, option: str) -> Page:
        """On the choice page: ``email`` or ``neither``."""
        return self.click(f"mfa-recovery-choose-{option}")

    def email_code(self, code: str) -> Page:
        """Sign in with the code mailed to the backup address."""
        return self.click("mfa-recovery-email-submit", {"emailCode": code})

    def back_to_otp(self) -> Page:
        return self._post_form("mfa-recovery-back-to-otp-form", {})

    def continue_after_recovery(self) -> Page:
        """The "Continue" button of the page that says few backup codes are left (at or below the realm's warning
        threshold; above it an accepted code goes straight on)."""
        return self._post_form("mfa-recovery-continue-form", {"continue": ""})

    def configure_totp(self) -> str:
        """Enrol a new authenticator app on Keycloak's CONFIGURE_TOTP page; returns its base32 secret."""
        _, fields = self.page.form("kc-totp-settings-form")
        secret = base64.b32encode(fields["totpSecret"].encode()).decode()
        self._post_form("kc-totp-settings-form", {"totp": pyotp.TOTP(secret).now(), "userLabel": "New phone"})
        return secret

    def shown_backup_codes(self) -> list[str]:
        """The codes on the "Set up account recovery" page."""
        return [node.get_text(strip=True) for node in self.page.soup.select("#mfa-recovery-codes code")]

    def confirm_saved_codes(self, *, ticked: bool = True) -> Page:
        return self._post_form("mfa-recovery-setup-form", {"saved": "on"} if ticked else {})

    def skip_setup(self) -> Page:
        return self._post_form("mfa-recovery-skip-form", {"skip": "true"})

    # -- outcome ----------------------------------------------------------------------------------------------
    def authorization_code(self) -> str | None:
        """The code Keycloak sent to the client, if the last step ended the sign-in."""
        response = self.page.response
        location = response.headers.get("Location", "")
        if response.status_code not in (302, 303) or not location.startswith(DEMO_REDIRECT_URI):
            return None
        return self.client.code_from_callback(location)

    def exchange(self) -> dict:
        """Exchange the authorization code for tokens, as the demo client would."""
        code = self.authorization_code()
        if code is None:
            raise SignInError(f"sign-in did not finish: {self._page.text[:400] if self._page else ''}")
        return self.client.exchange(code)


def claims_of(tokens: dict) -> dict:
    """The access token's claims. It came straight from Keycloak's token endpoint over a direct connection, so its
    claims are only read."""
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})
