"""The sidecar's signature on its answers to the bridge (docs/architecture.md, "The answer signature").

Every 200 answer of the bridge API is signed with the sidecar's Ed25519 key over the verified bridge token's ``jti``
and the exact body bytes, so the bridge can tell an answer of this sidecar to this very call from anything a
machine between the two (or a replayed answer) could send.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_HEADER = "MFA-Recovery-Signature"
CONTEXT = b"mfa-recovery-answer/v1\n"


def signature_input(jti: str, body: bytes) -> bytes:
    """``mfa-recovery-answer/v1\\n`` + jti (ASCII) + ``\\n`` + the body's bytes."""
    return CONTEXT + jti.encode("ascii") + b"\n" + body


def sign_answer(key: Ed25519PrivateKey, jti: str, body: bytes) -> str:
    """The header value: base64url without padding of the 64-byte Ed25519 signature."""
    return base64.urlsafe_b64encode(key.sign(signature_input(jti, body))).rstrip(b"=").decode("ascii")


def verify_answer(public_key: Ed25519PublicKey, jti: str, body: bytes, header_value: str) -> bool:
    """What the bridge does with an answer (for tests and tools): True when ``header_value`` signs it."""
    try:
        signature = base64.urlsafe_b64decode(header_value + "=" * (-len(header_value) % 4))
        public_key.verify(signature, signature_input(jti, body))
    except (ValueError, InvalidSignature):
        return False
    return True


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from unencrypted PEM (PKCS#8). Raises ``ValueError`` saying what is wrong."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise ValueError("the PEM key is encrypted; give it without a password") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValueError("not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"not an Ed25519 private key (found {type(key).__name__.removeprefix('_')})")
    return key


def new_private_key_pem() -> tuple[Ed25519PrivateKey, bytes]:
    """A fresh key and its PEM (PKCS#8, unencrypted)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key, pem


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public key as the bridge's SPI option takes it: standard base64 of the DER SubjectPublicKeyInfo (what
    Java's ``X509EncodedKeySpec`` reads)."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")
