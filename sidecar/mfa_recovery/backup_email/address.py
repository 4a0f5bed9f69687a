"""Email addresses: validation (syntax only, no DNS), comparison with the primary address, masking."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESS_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets
MASK = "•••"


def normalise(address: str) -> str | None:
    """The address in its normalised form (domain in lower case), or None when it is not a usable address.

    Syntax only: no DNS look-up, so an address on a private mail domain is accepted; whether it receives mail is
    what the verification code proves. Domains that can never receive mail (``.test``, ``.localhost``,
    ``.invalid`` and the like) are refused.
    """
    candidate = address.strip()
    if not candidate or len(candidate) > MAX_ADDRESS_LENGTH:
        return None
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def same_address(address: str, other: str | None) -> bool:
    """Whether two addresses are the same mailbox, ignoring case (as mail providers do in practice)."""
    if not other:
        return False
    return (normalise(other) or other.strip()).casefold() == address.casefold()


def mask(address: str) -> str:
    """``jan.doe@example.org`` → ``j•••@example.org``: enough to recognise one's own address, not to learn it."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}{MASK}@{domain}"
