"""The admin API's domain: who the administrator is, Keycloak called with their token, employees, MFA
actions and the "force MFA" policy. No Flask here; ``web/admin_api.py`` is the HTTP side."""
