"""Putting what the sidecar needs into an existing Keycloak, through Keycloak's admin API."""
