"""The admin API, version 1 (``web/openapi/admin-v1.yaml``): for the admin UI and operators' scripts."""

from __future__ import annotations

from . import desk_routes  # noqa: F401  (the desk's routes, on the same blueprint)
from .routes import bp

__all__ = ["bp"]
