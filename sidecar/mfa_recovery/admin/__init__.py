"""The admin API's domain: who the administrator is, employees, MFA actions and the "force MFA" policy, with
Keycloak called through :mod:`mfa_recovery.keycloak.access` with the administrator's own token. No Flask here;
``web/admin_api/`` is the HTTP side."""
