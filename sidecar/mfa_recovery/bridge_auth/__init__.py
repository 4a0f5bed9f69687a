"""Authentication of calls from the Keycloak bridge (contract version 1, docs/architecture.md)."""
