"""Storage of backup codes: an argon2id hash per code, found by a keyed look-up index."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Parameters for argon2id.
#
# OWASP's minimum recommendation for argon2id is m=19 MiB (19456 KiB), t=2, p=1. One verification costs
# about 21 ms on the reference machine, which keeps a backup-code sign-in within 1.25x Keycloak's built-in
# recovery-code sign-in (~135 ms). argon2-cffi's defaults (t=3, m=64 MiB, p=4) cost ~130 ms here and would
# blow that budget. Backup codes carry 50 bits of entropy and attempts are rate limited by Keycloak's
# brute-force detection, so the hash only has to resist offline guessing after a database leak, for
# which 50 bits x 21 ms per guess is ample.
TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1


class CodeHasher:
    """argon2id hashing of normalised codes (parameters above), with a constant-cost dummy verification."""

    def __init__(
        self,
        time_cost: int = TIME_COST,
        memory_cost: int = MEMORY_COST_KIB,
        parallelism: int = PARALLELISM,
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # A hash of a random value nobody knows; verifying against it costs the same as a real check.
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    def hash(self, normalised_code: str) -> str:
        return self._hasher.hash(normalised_code)

    def verify(self, encoded_hash: str, normalised_code: str) -> bool:
        try:
            return self._hasher.verify(encoded_hash, normalised_code)
        except (VerificationError, InvalidHashError):
            return False

    def verify_dummy(self, text: str) -> None:
        """Spend one verification's worth of work, for inputs that match no stored code."""
        self.verify(self._dummy_hash, text)


def lookup_key(pepper: str, realm: str, user_id: str, normalised_code: str) -> str:
    """HMAC-SHA256 (hex) of realm, user and code under the server-side pepper.

    The index lets one attempt cost one argon2 verification; without the pepper it reveals nothing.
    """
    message = "\x00".join((realm, user_id, normalised_code)).encode("utf-8")
    return hmac.new(pepper.encode("utf-8"), message, hashlib.sha256).hexdigest()
