#!/bin/sh
# Run by the postgres image once, on an empty data volume (/docker-entrypoint-initdb.d): the sidecar's own role and
# database beside Keycloak's (POSTGRES_USER and POSTGRES_DB). Its password comes from MFA_RECOVERY_DB_PASSWORD.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=password="$MFA_RECOVERY_DB_PASSWORD" <<'SQL'
CREATE ROLE mfa_recovery LOGIN PASSWORD :'password';
CREATE DATABASE mfa_recovery OWNER mfa_recovery;
SQL
