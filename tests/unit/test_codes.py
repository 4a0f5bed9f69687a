import math
import re
from collections import Counter

import pytest

from mfa_recovery.backup_codes.codes import (
    ALPHABET,
    CODE_LENGTH,
    ENTROPY_BITS,
    display,
    generate_codes,
    normalise,
)


def test_alphabet_is_crockford_base32() -> None:
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_codes_carry_50_bits() -> None:
    assert CODE_LENGTH * math.log2(len(ALPHABET)) == ENTROPY_BITS == 50


def test_generated_codes_are_distinct_and_well_formed() -> None:
    codes = generate_codes(200)
    assert len(set(codes)) == 200
    for code in codes:
        assert len(code) == 10
        assert set(code) <= set(ALPHABET)


def test_generation_uses_the_whole_alphabet_roughly_uniformly() -> None:
    counts = Counter("".join(generate_codes(2000)))  # 20 000 symbols, ~625 each
    assert set(counts) == set(ALPHABET)
    assert min(counts.values()) > 450
    assert max(counts.values()) < 800


def test_display_groups_4_4_2() -> None:
    assert display("7KQM2XHR9T") == "7KQM-2XHR-9T"
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", display(generate_codes(1)[0]))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7KQM-2XHR-9T", "7KQM2XHR9T"),
        ("7kqm-2xhr-9t", "7KQM2XHR9T"),
        ("7KQM 2XHR 9T", "7KQM2XHR9T"),
        (" 7kqm2xhr9t ", "7KQM2XHR9T"),
        ("O0OO-0000-00", "0000000000"),
        ("o0o0-0000-00", "0000000000"),
        ("IiLl-1111-11", "1111111111"),
    ],
)
def test_normalise_accepts_what_people_type(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["", "7KQM-2XHR-9", "7KQM-2XHR-9TT", "7KQM-2XHR-9U", "7KQM_2XHR_9T", "7KQM-2XHR-9Ä", "７KQM2XHR9T"],
)
def test_normalise_rejects_non_codes(typed: str) -> None:
    assert normalise(typed) is None
