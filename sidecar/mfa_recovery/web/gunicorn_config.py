"""gunicorn's settings and server hooks for ``serve`` (``--config python:mfa_recovery.web.gunicorn_config``):
gunicorn reads only the names of its own settings from this module."""

from __future__ import annotations

import os
from typing import Any

from ..config import log_format
from ..observability.logs import JSON, gunicorn_logconfig
from ..observability.metrics import mark_worker_dead


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live metric values go (observability/metrics.py; prometheus-client's multiprocess
    mode)."""
    mark_worker_dead(worker.pid)


# With MFA_RECOVERY_LOG_FORMAT=json gunicorn's own lines (start, workers, refusals) are JSON too; its access log
# stays off either way (the application writes one line per request, by route).
if log_format(os.environ) == JSON:
    logconfig_dict = gunicorn_logconfig()
