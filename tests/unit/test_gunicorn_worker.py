"""gunicorn's refusals of an oversized request line or header fields are answered in the API's JSON, and ``serve``
runs gunicorn with that worker and with its limits named. Against the real gunicorn: tests/integration/
test_admin_api_schema.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http.errors import InvalidRequestLine, LimitRequestHeaders, LimitRequestLine

from mfa_recovery import cli as cli_module
from mfa_recovery.cli import CliContext, cli
from mfa_recovery.web.gunicorn_worker import JsonRefusalWorker, json_response, refusal

from .support import DEV_ENV


class FakeClient:
    """The accepted socket, as gunicorn's error writers use it."""

    def __init__(self) -> None:
        self.sent = b""
        self.timeout: float | None = None

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def gettimeout(self) -> float | None:
        return self.timeout

    def setblocking(self, flag: bool) -> None:
        self.timeout = None if flag else 0.0

    def send(self, data: bytes) -> int:
        self.sent += data
        return len(data)


def gunicorn_config(*args: str) -> Config:
    config = Config()
    parsed = config.parser().parse_args(list(args))
    for name, value in vars(parsed).items():
        if value is not None and name in config.settings:
            config.set(name, value)
    return config


def worker() -> JsonRefusalWorker:
    """The worker without its process: only what ``handle_error`` needs."""
    made = JsonRefusalWorker.__new__(JsonRefusalWorker)
    made.cfg = gunicorn_config()
    made.log = Logger(made.cfg)
    return made


def answer(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("ascii").split("\r\n")
    return status, dict(line.split(": ", 1) for line in lines), body


@pytest.mark.parametrize(
    ("exc", "status", "error"),
    [
        (LimitRequestLine(5000, 4094), "HTTP/1.1 414 URI Too Long", "uri_too_long"),
        (LimitRequestHeaders("limit request headers fields size"), "HTTP/1.1 431 Request Header Fields Too Large",
         "header_fields_too_large"),
    ],
)  # fmt: skip
def test_size_refusals_are_json_errors(exc: Exception, status: str, error: str) -> None:
    client = FakeClient()
    worker().handle_error(None, client, ("192.0.2.7", 40000), exc)
    line, headers, body = answer(client.sent)
    assert line == status
    assert headers["Content-Type"] == "application/json"
    assert headers["Connection"] == "close"
    assert headers["Cache-Control"] == "no-store"
    assert int(headers["Content-Length"]) == len(body)
    assert json.loads(body)["error"] == error
    assert set(json.loads(body)) == {"error", "message"}


def test_the_message_names_the_limits_not_what_was_sent() -> None:
    config = gunicorn_config("--limit-request-line", "4094", "--limit-request-field_size", "8190")
    assert refusal(LimitRequestLine(5000, 4094), config) == (414, "the request line is longer than 4094 bytes")
    status, message = refusal(LimitRequestHeaders("X-Secret: hunter2"), config) or (0, "")
    assert status == 431 and "8190 bytes" in message and "100" in message and "hunter2" not in message


def test_other_errors_keep_gunicorns_handling() -> None:
    assert refusal(InvalidRequestLine("GARBAGE"), gunicorn_config()) is None
    client = FakeClient()
    worker().handle_error(None, client, ("192.0.2.7", 40000), InvalidRequestLine("GARBAGE"))
    assert client.sent.startswith(b"HTTP/1.1 400 Bad Request")


def test_a_client_gone_before_the_answer_is_no_error() -> None:
    class Gone(FakeClient):
        def sendall(self, data: bytes) -> None:
            raise BrokenPipeError

    worker().handle_error(None, Gone(), None, LimitRequestLine(5000, 4094))


def test_the_answer_is_well_formed_http() -> None:
    line, headers, body = answer(json_response(431, "too large"))
    assert line == "HTTP/1.1 431 Request Header Fields Too Large"
    assert json.loads(body) == {"error": "header_fields_too_large", "message": "too large"}
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_serve_runs_gunicorn_with_this_worker_and_todays_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []

    def execve(path: str, argv: list[str], env: Any) -> None:
        started.append(argv)

    monkeypatch.setattr(cli_module.os, "execve", execve)
    environ = {**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["serve", "--port", "18998", "--bridge-port", "18999"], obj=CliContext(environ))
    assert result.exit_code == 0, result.output
    argv = started[0]
    assert argv[1:3] == ["-m", "gunicorn"]
    config = gunicorn_config(*argv[3:])
    assert config.worker_class is JsonRefusalWorker
    assert (config.limit_request_line, config.limit_request_field_size, config.limit_request_fields) == (
        4094,
        8190,
        100,
    )
