"""The admin API, version 1 (``web/openapi/admin-v1.yaml``): for the admin UI and operators' scripts."""

from __future__ import annotations

from .routes import bp

__all__ = ["bp"]
