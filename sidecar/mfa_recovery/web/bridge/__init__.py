"""The bridge API, contract version 1 (``web/openapi/bridge-v1.yaml``): only Keycloak's mfa-recovery
authenticator and required action call it, on the bridge's own port."""

from __future__ import annotations

from flask import Blueprint

from . import backup_codes, email, health, supervisor

BLUEPRINTS: tuple[Blueprint, ...] = (backup_codes.bp, email.bp, supervisor.bp, health.bp)
