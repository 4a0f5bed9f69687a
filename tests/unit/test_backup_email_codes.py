"""Addresses and mailed codes as values: validation, masking, the code's format and its stored form."""

import hashlib
import hmac
import re

import pytest

from mfa_recovery.backup_email import address, codes
from mfa_recovery.backup_email.limits import CODE_DIGITS

from .support import PEPPER, REALM, USER_ID


@pytest.mark.parametrize(
    ("given", "masked"),
    [
        ("jan.doe@example.org", "j•••@example.org"),
        ("j@example.org", "j•••@example.org"),
        ("Nina+mfa@Mail.Example.NET", "N•••@Mail.Example.NET"),
    ],
)
def test_mask_keeps_the_first_character_and_the_domain(given: str, masked: str) -> None:
    assert address.mask(given) == masked


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("jan@example.org", "jan@example.org"),
        ("  Jan.Doe@Example.ORG ", "Jan.Doe@example.org"),  # the domain in lower case, the local part kept
        ("nina+mfa@mail.example.net", "nina+mfa@mail.example.net"),
        ("jöhn@exämple.org", "jöhn@exämple.org"),
    ],
)
def test_valid_addresses_are_normalised(given: str, normalised: str) -> None:
    assert address.normalise(given) == normalised


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "jan",
        "jan@",
        "@example.org",
        "jan@example",  # no dot in the domain
        "jan..doe@example.org",
        "jan doe@example.org",
        '"jan doe"@example.org',
        "jan@[192.0.2.1]",
        "jan@localhost",
        "jan@acme.test",  # a special-use domain never receives mail
        "Jan <jan@example.org>",
        "jan@example.org\nBcc: eve@example.org",
    ],
)
def test_unusable_addresses_are_refused(given: str) -> None:
    assert address.normalise(given) is None


def test_the_longest_address_is_254_characters() -> None:
    longest = "j" * 64 + "@" + ".".join(["d" * 61, "d" * 61, "d" * 61]) + ".org"
    assert len(longest) == 254
    assert address.normalise(longest) == longest
    too_long = "j" * 64 + "@" + ".".join(["d" * 61, "d" * 61, "d" * 62]) + ".org"
    assert len(too_long) == 255
    assert address.normalise(too_long) is None


def test_same_address_ignores_case_and_blanks() -> None:
    assert address.same_address("jan@acme.example", "JAN@ACME.EXAMPLE")
    assert address.same_address("jan@acme.example", " jan@Acme.Example ")
    assert not address.same_address("jan@acme.example", "jan@acme.example.org")
    assert not address.same_address("jan@acme.example", None)
    assert not address.same_address("jan@acme.example", "")


def test_codes_are_8_random_digits() -> None:
    made = [codes.generate() for _ in range(300)]
    assert all(re.fullmatch(r"\d{8}", code) for code in made)
    assert len(set(made)) > 290  # 10^8 possibilities: repeats would mean a broken source
    assert {code[0] for code in made} >= set("0123456789")  # leading zeros are kept, every digit turns up
    assert CODE_DIGITS == 8


def test_codes_are_shown_in_two_groups_of_four() -> None:
    assert codes.display("01234567") == "0123 4567"


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("12345678", "12345678"),
        ("1234 5678", "12345678"),
        (" 1234-5678 ", "12345678"),
        ("12 34 56 78", "12345678"),
        ("1234\t5678", "12345678"),
        ("1234567", None),
        ("123456789", None),
        ("1234 567a", None),
        ("", None),
        ("١٢٣٤٥٦٧٨", None),  # Arabic-Indic digits are digits to Python, not to us
        ("1234567８", None),  # a full-width 8
        ("1234+5678", None),
    ],
)
def test_typed_codes_are_normalised(typed: str, digits: str | None) -> None:
    assert codes.normalise(typed) == digits


def test_only_the_hmac_is_stored_and_it_binds_realm_user_and_purpose() -> None:
    stored = codes.lookup(PEPPER, REALM, USER_ID, "sign_in", "12345678")
    message = f"email-code|{REALM}|{USER_ID}|sign_in|12345678".encode()
    assert stored == hmac.new(PEPPER.encode(), message, hashlib.sha256).hexdigest()
    assert "12345678" not in stored and len(stored) == 64
    others = {
        codes.lookup(PEPPER, "other", USER_ID, "sign_in", "12345678"),
        codes.lookup(PEPPER, REALM, "other", "sign_in", "12345678"),
        codes.lookup(PEPPER, REALM, USER_ID, "verify_address", "12345678"),
        codes.lookup("another-pepper", REALM, USER_ID, "sign_in", "12345678"),
        codes.lookup(PEPPER, REALM, USER_ID, "sign_in", "12345679"),
    }
    assert stored not in others and len(others) == 5


def test_matches() -> None:
    stored = codes.lookup(PEPPER, REALM, USER_ID, "sign_in", "12345678")
    assert codes.matches(PEPPER, REALM, USER_ID, "sign_in", "12345678", stored)
    assert not codes.matches(PEPPER, REALM, USER_ID, "sign_in", "12345679", stored)
    assert not codes.matches(PEPPER, REALM, USER_ID, "verify_address", "12345678", stored)
    assert not codes.matches(PEPPER, REALM, USER_ID, "sign_in", None, stored)
