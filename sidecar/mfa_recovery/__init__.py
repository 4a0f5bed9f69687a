"""mfa-recovery sidecar: recovery logic and state behind the Keycloak bridge."""

__version__ = "0.1.0"
