from mfa_recovery.backup_codes.hashing import CodeHasher, lookup_key


def test_default_parameters_are_owasp_minimum_argon2id() -> None:
    encoded = CodeHasher().hash("7KQM2XHR9T")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_hash_is_salted_and_verifies(fast_hasher: CodeHasher) -> None:
    first, second = fast_hasher.hash("7KQM2XHR9T"), fast_hasher.hash("7KQM2XHR9T")
    assert first != second
    assert fast_hasher.verify(first, "7KQM2XHR9T")
    assert not fast_hasher.verify(first, "7KQM2XHR9V")
    assert not fast_hasher.verify("not-a-hash", "7KQM2XHR9T")


def test_lookup_key_is_keyed_and_bound_to_realm_and_user() -> None:
    key = lookup_key("pepper", "acme", "u1", "7KQM2XHR9T")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == lookup_key("pepper", "acme", "u1", "7KQM2XHR9T")
    assert key != lookup_key("other-pepper", "acme", "u1", "7KQM2XHR9T")
    assert key != lookup_key("pepper", "other", "u1", "7KQM2XHR9T")
    assert key != lookup_key("pepper", "acme", "u2", "7KQM2XHR9T")
    # No ambiguity from concatenation: ("ab", "c") and ("a", "bc") differ.
    assert lookup_key("p", "ab", "c", "7KQM2XHR9T") != lookup_key("p", "a", "bc", "7KQM2XHR9T")
