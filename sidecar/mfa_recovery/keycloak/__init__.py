"""Everything the sidecar says to Keycloak, and nothing else.

- :mod:`.rest`: the admin REST API over ``requests`` (:class:`~.rest.KeycloakRest`, the :class:`~.rest.KeycloakApi`
  calls the admin features make, and helpers for Keycloak's representations).
- :mod:`.service_account`: the sidecar's own access token (client credentials in the master realm), cached.
- :mod:`.access`: the admin REST API as a given caller: an administrator (their token) or the service account.
- :mod:`.directory`: Keycloak's users as the sidecar looks them up (:class:`mfa_recovery.directory.Directory`),
  through the service account.
- :mod:`.realm_keys`: the realms' signing keys (JWKS), cached, for every token checked against a realm's keys.
- :mod:`.admin_tokens`: the check of administrators' access tokens.
- :mod:`.oidc`: the admin UI's OpenID Connect client (PKCE sign-in, refresh, ID token, end of session).
"""
