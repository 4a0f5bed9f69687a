"""gunicorn's server hooks for ``serve`` (``--config python:mfa_recovery.web.gunicorn_config``): gunicorn reads
only the names of its own settings from this module."""

from __future__ import annotations

from typing import Any

from ..observability.metrics import mark_worker_dead


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live metric values go (observability/metrics.py; prometheus-client's multiprocess
    mode)."""
    mark_worker_dead(worker.pid)
