"""Fixtures of the HTTP-level sign-in tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.signin import SignIn


@pytest.fixture
def sign_in(keycloak: str) -> Callable[..., SignIn]:
    """Start a sign-in of the demo client against the test Keycloak; keyword arguments go to SignIn."""

    def _start(**kwargs) -> SignIn:
        return SignIn(keycloak, **kwargs)

    return _start
