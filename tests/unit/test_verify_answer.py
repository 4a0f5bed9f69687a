from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from .support import REALM, USER_ID

VERIFY = "/bridge/v1/backup-codes/verify"


def issue(app: Flask, count: int) -> list[str]:
    return app.extensions["mfa_recovery"].backup_codes.issue(REALM, USER_ID, count)


@pytest.mark.parametrize(("threshold", "regenerate_from"), [(3, 3), (0, 0), (5, 5)])
def test_regenerate_when_the_count_left_reaches_the_threshold(
    app: Flask, call: Callable[..., Any], threshold: int, regenerate_from: int
) -> None:
    app.extensions["mfa_recovery"].realm_options.update(REALM, "cli:t", code_count=6, warning_threshold=threshold)
    codes = issue(app, 6)
    for used, code in enumerate(codes, start=1):
        left = 6 - used
        assert call(VERIFY, {"code": code}).json == {
            "result": "accepted",
            "backup_codes_remaining": left,
            "regenerate": left <= regenerate_from,
            "reenrol_otp": False,
        }


def test_reenrol_otp_follows_the_realm_option(app: Flask, call: Callable[..., Any]) -> None:
    codes = issue(app, 10)
    assert call(VERIFY, {"code": codes[0]}).json["reenrol_otp"] is False
    app.extensions["mfa_recovery"].realm_options.update(REALM, "cli:t", reenrol_otp_after_recovery=True)
    answer = call(VERIFY, {"code": codes[1]}).json
    assert answer == {"result": "accepted", "backup_codes_remaining": 8, "regenerate": False, "reenrol_otp": True}


def test_options_of_another_realm_do_not_apply(app: Flask, call: Callable[..., Any]) -> None:
    app.extensions["mfa_recovery"].realm_options.update("other", "cli:t", reenrol_otp_after_recovery=True)
    codes = issue(app, 10)
    assert call(VERIFY, {"code": codes[0]}).json["reenrol_otp"] is False
