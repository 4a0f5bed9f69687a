"""The realm's settings that the "force MFA" policy touches, as Keycloak exports them, and putting them back."""

from __future__ import annotations

import json

from keycloak import KeycloakAdmin

from .employees import REALM

BROWSER_FLOW = "mfa-browser"


def keycloak_settings(admin: KeycloakAdmin) -> dict:
    """The browser flow's executions and the required actions."""
    executions = admin.connection.raw_get(f"admin/realms/{REALM}/authentication/flows/{BROWSER_FLOW}/executions")
    actions = admin.connection.raw_get(f"admin/realms/{REALM}/authentication/required-actions")
    return {"executions": executions.json(), "required_actions": actions.json()}


def put_back(admin: KeycloakAdmin, settings: dict) -> None:
    """Whatever a test did to the flow and the required actions, make them what ``settings`` says again."""
    for execution in settings["executions"]:
        admin.connection.raw_put(
            f"admin/realms/{REALM}/authentication/flows/{BROWSER_FLOW}/executions", data=json.dumps(execution)
        )
    for action in settings["required_actions"]:
        admin.connection.raw_put(
            f"admin/realms/{REALM}/authentication/required-actions/{action['alias']}", data=json.dumps(action)
        )
