"""``mfa-recovery serve`` as a real process (gunicorn) on two free loopback ports, for the unit tests of what only
gunicorn does: its listeners, its workers, its logging. No Keycloak: the sidecar starts without one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from .support import DEV_ENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(data: Path, workers: int = 1, **settings: str) -> Iterator[tuple[int, int]]:
    """The sidecar in development mode with its data (and ``serve.log``) in ``data``, the notifications off and
    ``settings`` on top; yields (main port, bridge port) once the bridge listener answers, stops it afterwards."""
    main, bridge = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("MFA_RECOVERY_", "PROMETHEUS"))}
    env.update(DEV_ENV, MFA_RECOVERY_DATA_DIR=str(data), MFA_RECOVERY_NOTIFICATIONS="off", **settings)
    executable = str(Path(sys.executable).with_name("mfa-recovery"))
    command = [executable, "serve", "--port", str(main), "--bridge-port", str(bridge), "--workers", str(workers)]
    log_file = data / "serve.log"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"http://127.0.0.1:{bridge}/health/live"):
            assert process.poll() is None and time.monotonic() < deadline, log_file.read_text()
            time.sleep(0.1)
        yield main, bridge
    finally:
        process.terminate()
        process.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:  # not listening yet
        return False
