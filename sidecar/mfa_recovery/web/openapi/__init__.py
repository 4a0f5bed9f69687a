"""The OpenAPI descriptions of the sidecar's two HTTP contracts: ``admin-v1.yaml`` (the admin API, served at
``/admin/v1/openapi.yaml``) and ``bridge-v1.yaml`` (the bridge API that Keycloak's bridge calls)."""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Any

import yaml

ADMIN = "admin-v1.yaml"
BRIDGE = "bridge-v1.yaml"


@functools.cache
def text(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


@functools.cache
def document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(text(name))
    return loaded
