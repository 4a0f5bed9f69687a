"""The recovery desk's intake as the request page sees it: it keeps every request it is handed and answers as told."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask

from mfa_recovery.desk.intake import DeskIntake, Filed, RecoveryRequest
from mfa_recovery.services import Services

CASE_NUMBER = "MFA-2026-000042"


class FakeDeskIntake:
    """``answer``: what :meth:`file` returns, or the exception it raises (after keeping the request)."""

    def __init__(self, answer: Filed | Exception | None = None) -> None:
        self.answer: Filed | Exception = answer or Filed(CASE_NUMBER)
        self.requests: list[RecoveryRequest] = []

    def file(self, request: RecoveryRequest) -> Filed:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def open_desk(app: Flask, intake: DeskIntake | None) -> None:
    """The app's services with ``intake`` as the desk's (None: the desk is off)."""
    services: Services = app.extensions["mfa_recovery"]
    app.extensions["mfa_recovery"] = replace(services, desk_intake=intake)
