"""Someone who answers at the sidecar's address (a squatted port, a spoofed name) cannot answer "accepted": the
bridge takes only answers signed with the sidecar's answer key for the very call it made, and shows the
"unavailable" page for anything else. Against the real Keycloak, with an impostor on the bridge port."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

HEADER = "MFA-Recovery-Signature"
START = {"methods": ["backup_code"], "backup_codes_remaining": 5, "email_hint": None}
ACCEPTED = {"result": "accepted", "backup_codes_remaining": 4, "regenerate": False, "reenrol_otp": False}

Signer = Callable[[str, bytes], str | None]  # (jti of the call, body) -> header value, or None for no header


def signature(key: Ed25519PrivateKey, jti: str, body: bytes) -> str:
    raw = key.sign(b"mfa-recovery-answer/v1\n" + jti.encode("ascii") + b"\n" + body)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.fixture
def real_key(stack_config) -> Ed25519PrivateKey:
    key = load_pem_private_key(stack_config.answer_key_file.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


@pytest.fixture
def impostor(sidecar, stack_config, real_key: Ed25519PrivateKey) -> Iterator[Callable[[Signer], None]]:
    """Stops the sidecar and answers on its bridge port: ``start`` genuinely signed (it holds the key, so the
    sign-in reaches the code page), every code "accepted", signed as the test says."""
    verify_signer: list[Signer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            jti = jwt.decode(token, options={"verify_signature": False})["jti"]
            header: str | None
            if self.path.endswith("/recovery/start"):
                body, header = json.dumps(START).encode(), signature(real_key, jti, json.dumps(START).encode())
            else:
                body = json.dumps(ACCEPTED).encode()
                header = verify_signer[0](jti, body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if header is not None:
                self.send_header(HEADER, header)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    sidecar.stop()
    server = ThreadingHTTPServer(("127.0.0.1", stack_config.bridge_port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield verify_signer.append
    finally:
        server.shutdown()
        server.server_close()
        sidecar.start()


def try_any_code(sign_in, employee):
    attempt = sign_in()
    attempt.password(employee.username, employee.password)
    attempt.use_backup()
    return attempt, attempt.backup_code("AAAA-AAAA-AA")


def test_an_unsigned_accepted_is_refused(sign_in, new_employee, impostor):
    impostor(lambda jti, body: None)
    attempt, page = try_any_code(sign_in, new_employee())
    assert page.has("mfa-recovery-unavailable"), page.text[:300]
    assert attempt.authorization_code() is None


def test_an_accepted_signed_with_another_key_is_refused(sign_in, new_employee, impostor):
    other = Ed25519PrivateKey.generate()
    impostor(lambda jti, body: signature(other, jti, body))
    attempt, page = try_any_code(sign_in, new_employee())
    assert page.has("mfa-recovery-unavailable"), page.text[:300]
    assert attempt.authorization_code() is None


def test_a_genuine_answer_to_another_call_is_refused(sign_in, new_employee, impostor, real_key):
    impostor(lambda jti, body: signature(real_key, "an-earlier-call", body))  # a recorded answer, replayed
    attempt, page = try_any_code(sign_in, new_employee())
    assert page.has("mfa-recovery-unavailable"), page.text[:300]
    assert attempt.authorization_code() is None


def test_the_key_holder_is_believed(sign_in, new_employee, impostor, real_key):
    """The control: the same impostor with the sidecar's key is the sidecar, and Keycloak follows its answer."""
    impostor(lambda jti, body: signature(real_key, jti, body))
    attempt, page = try_any_code(sign_in, new_employee())
    assert attempt.authorization_code() is not None, page.text[:300]
