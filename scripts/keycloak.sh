#!/usr/bin/env bash
# Keycloak for development and tests: fetch | start | stop | status.
#
#   fetch   download keycloak-quarkus-dist from Maven Central (once) and unpack it into ~/.cache/mfa-recovery
#   start   build the provider JAR (bridge + theme), install it and the realm into this instance's Keycloak, start it on
#           127.0.0.1, wait until /health/ready answers, grant the sidecar's service account (in master) on
#           the demo realm, and make the bootstrap admin a recovery desk operator (needs the project's .venv)
#   stop    stop this instance's Keycloak (in production mode its PostgreSQL too, unless KEYCLOAK_ONLY=1)
#   status  say whether it runs
#
# MFA_RECOVERY_INSTANCE=test selects the test instance (its own ports and data); KEYCLOAK_FRESH=1 starts from
# an empty database so the realm is imported anew. KEYCLOAK_ONLY=1 leaves the instance's PostgreSQL running on stop,
# for whoever else uses it (the test run's sidecar may already be on it).
set -euo pipefail
source "$(dirname "$0")/common.sh"

PID_FILE="$MFA_INSTANCE_DIR/keycloak.pid"
LOG_FILE="$MFA_INSTANCE_DIR/keycloak.log"

fetch() {
    if [ ! -f "$KEYCLOAK_ZIP" ]; then
        log "downloading $KEYCLOAK_ARTIFACT (once; cached in $MFA_CACHE/dist)"
        mvn -q -B -ntp dependency:copy -Dartifact="$KEYCLOAK_ARTIFACT" -DoutputDirectory="$MFA_CACHE/dist" >&2
    fi
    if [ ! -x "$KEYCLOAK_PRISTINE/bin/kc.sh" ]; then
        log "unpacking Keycloak $KEYCLOAK_VERSION"
        local tmp; tmp="$(mktemp -d "$MFA_CACHE/unpack.XXXXXX")"
        unzip -q "$KEYCLOAK_ZIP" -d "$tmp"
        rm -rf "$KEYCLOAK_PRISTINE"
        mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_PRISTINE"
        rmdir "$tmp"
    fi
}

build_bridge() {
    if [ "${MFA_RECOVERY_SKIP_BRIDGE_BUILD:-0}" = "1" ] && [ -f "$MFA_ROOT/keycloak-bridge/target/mfa-recovery-keycloak-bridge.jar" ]; then
        return
    fi
    log "building keycloak-bridge"
    local build_log="$MFA_INSTANCE_DIR/bridge-build.log"
    mkdir -p "$MFA_INSTANCE_DIR"
    if ! (cd "$MFA_ROOT/keycloak-bridge" && mvn -B -ntp package -DskipTests >"$build_log" 2>&1); then
        log "the bridge did not build:"; tail -n 40 "$build_log" >&2; exit 1
    fi
}

install_into_instance() {
    mkdir -p "$MFA_INSTANCE_DIR"
    if [ ! -x "$KEYCLOAK_HOME/bin/kc.sh" ]; then
        cp -a "$KEYCLOAK_PRISTINE" "$KEYCLOAK_HOME"
    fi
    if [ "${KEYCLOAK_FRESH:-0}" = "1" ]; then
        rm -rf "$KEYCLOAK_HOME/data"
    fi
    local jar="$MFA_ROOT/keycloak-bridge/target/mfa-recovery-keycloak-bridge.jar"
    # Copy only a changed JAR: a new file makes Keycloak rebuild itself at start.
    cmp -s "$jar" "$KEYCLOAK_HOME/providers/$(basename "$jar")" || cp "$jar" "$KEYCLOAK_HOME/providers/"
    # The login theme travels in the JAR (theme/mfa-recovery); a folder copy from older installs would shadow it.
    rm -rf "$KEYCLOAK_HOME/themes/mfa-recovery"
    mkdir -p "$KEYCLOAK_HOME/data/import"
    cp "$MFA_ROOT/realm-config/"*-realm.json "$KEYCLOAK_HOME/data/import/"
}

# Production mode: a certificate for 127.0.0.1 (made once per instance), this instance's PostgreSQL with a database
# for Keycloak, and `kc.sh build` of the build-time options and the provider JAR, so that `start --optimized` skips
# the build. Sets PRODUCTION_OPTIONS, the runtime options.
production_options() {
    local crt="$KEYCLOAK_TLS_DIR/keycloak.crt" key="$KEYCLOAK_TLS_DIR/keycloak.key"
    if [ ! -s "$crt" ] || [ ! -s "$key" ]; then
        log "making a certificate for 127.0.0.1 and localhost: $crt"
        mkdir -p "$KEYCLOAK_TLS_DIR"
        openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=127.0.0.1" \
            -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$key" -out "$crt" 2>/dev/null
        chmod 600 "$key"
    fi
    local db_url="${MFA_RECOVERY_KEYCLOAK_DB_URL:-}"
    if [ -z "$db_url" ]; then
        db_url="$(instance_database)"
    fi
    log "kc.sh build (PostgreSQL, health, the provider JAR)"
    if ! JAVA_HOME="$(pick_java_home)" "$KEYCLOAK_HOME/bin/kc.sh" build --db=postgres --health-enabled=true \
            >"$MFA_INSTANCE_DIR/keycloak-build.log" 2>&1; then
        tail -n 40 "$MFA_INSTANCE_DIR/keycloak-build.log" >&2; log "kc.sh build failed"; exit 1
    fi
    PRODUCTION_OPTIONS=(
        --hostname="${MFA_RECOVERY_KEYCLOAK_HOSTNAME:-$MFA_RECOVERY_KEYCLOAK_URL}"
        --http-host=127.0.0.1
        --http-enabled=false
        --https-port="$MFA_RECOVERY_KEYCLOAK_PORT"
        --https-certificate-file="$crt"
        --https-certificate-key-file="$key"
        --db-url="$db_url"
        --db-username=mfa_recovery_test
        --db-password=unused-trust-authentication
        --truststore-paths="$crt"
        # The cluster transport: JGroups, the peers found through the database (jdbc-ping, Keycloak's default stack),
        # on loopback too.
        --cache-stack=jdbc-ping
        --cache-embedded-network-bind-address=127.0.0.1
        --cache-embedded-network-bind-port="$MFA_RECOVERY_KEYCLOAK_CLUSTER_PORT"
    )
}

# This instance's PostgreSQL (scripts/postgres.sh) with a database for Keycloak, emptied when KEYCLOAK_FRESH=1;
# prints its JDBC URL.
instance_database() {
    "$MFA_ROOT/scripts/postgres.sh" start >/dev/null
    local psql; psql="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr | head -1)/psql"
    local db="keycloak" connect=(-h 127.0.0.1 -p "$MFA_RECOVERY_POSTGRES_PORT" -U mfa_recovery_test -d mfa_recovery_test -qAt)
    if [ "${KEYCLOAK_FRESH:-0}" = "1" ]; then
        "$psql" "${connect[@]}" -c "DROP DATABASE IF EXISTS $db" >/dev/null
    fi
    if [ -z "$("$psql" "${connect[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        "$psql" "${connect[@]}" -c "CREATE DATABASE $db" >/dev/null
    fi
    echo "jdbc:postgresql://127.0.0.1:$MFA_RECOVERY_POSTGRES_PORT/$db"
}

start() {
    if pid_alive "$PID_FILE"; then
        log "Keycloak ($MFA_INSTANCE) already runs, pid $(cat "$PID_FILE")"
        print_urls
        return
    fi
    fetch
    build_bridge
    install_into_instance
    local java_home; java_home="$(pick_java_home)"
    log "starting Keycloak $KEYCLOAK_VERSION ($MFA_INSTANCE, $MFA_RECOVERY_KEYCLOAK_MODE mode) with $("$java_home/bin/java" -version 2>&1 | head -1)"
    local started=$SECONDS
    # The sidecar's answer public key is no secret; the private key must exist before Keycloak starts.
    local answer_key
    answer_key="$(answer_public_key)" || { log "cannot read or make the sidecar's answer signing key"; exit 1; }
    local options=(
        --http-management-port="$MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT"
        --import-realm
        --spi-authenticator--mfa-recovery--sidecar-url="$MFA_RECOVERY_BRIDGE_URL"
        --spi-authenticator--mfa-recovery--answer-public-key="$answer_key"
    )
    local health="http://127.0.0.1:$MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT/health/ready"
    if [ "$MFA_RECOVERY_KEYCLOAK_MODE" = production ]; then
        production_options
        options=(start --optimized "${options[@]}" "${PRODUCTION_OPTIONS[@]}")
        health="https://127.0.0.1:$MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT/health/ready"
    else
        options=(start-dev --http-host=127.0.0.1 --http-port="$MFA_RECOVERY_KEYCLOAK_PORT" --health-enabled=true
                 "${options[@]}")
    fi
    # The login theme links "Administrator and lost your MFA?" to the sidecar's recovery desk: theme.properties reads
    # MFA_RECOVERY_DESK_URL from Keycloak's environment. By default the instance's sidecar; set it empty for no link.
    MFA_RECOVERY_DESK_URL="${MFA_RECOVERY_DESK_URL-$MFA_RECOVERY_SIDECAR_URL}" \
    JAVA_HOME="$java_home" \
    nohup "$KEYCLOAK_HOME/bin/kc.sh" "${options[@]}" >"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    if ! wait_for_url "$health" 240 "$(cat "$PID_FILE")"; then
        log "Keycloak did not become ready; last lines of $LOG_FILE:"
        tail -n 40 "$LOG_FILE" >&2
        stop_pid_file "$PID_FILE" Keycloak
        exit 1
    fi
    log "Keycloak ready in $((SECONDS - started)) s"
    grant_service_account
    set_up_desk_operators
    print_urls
}

# The sidecar's service account lives in master (the realm import cannot put it there): create it, idempotently,
# and give it view-users and view-realm on the demo realm.
grant_service_account() {
    local output
    if ! output="$(MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD="$KC_BOOTSTRAP_ADMIN_PASSWORD" "$VENV/bin/mfa-recovery" \
            service-account grant --realm acme --admin-user "$KC_BOOTSTRAP_ADMIN_USERNAME" 2>&1)"; then
        log "could not set up the sidecar's service account: $output"
        exit 1
    fi
    log "the sidecar's service account in master: ${output//$'\n'/; }"
}

# The recovery desk's operators sign in to the admin UI in the operator realm (master): create the operator role and
# the admin UI's client there, idempotently, and give the role to the bootstrap admin.
set_up_desk_operators() {
    local output
    if ! output="$(MFA_RECOVERY_KEYCLOAK_ADMIN_PASSWORD="$KC_BOOTSTRAP_ADMIN_PASSWORD" "$VENV/bin/mfa-recovery" \
            desk operators setup --admin-user "$KC_BOOTSTRAP_ADMIN_USERNAME" \
            --operator "$KC_BOOTSTRAP_ADMIN_USERNAME" 2>&1)"; then
        log "could not set up the recovery desk's operators: $output"
        exit 1
    fi
    log "the recovery desk's operators in master: ${output//$'\n'/; }"
}

print_urls() {
    echo "Keycloak ($MFA_INSTANCE):   $MFA_RECOVERY_KEYCLOAK_URL/admin/  (bootstrap admin: $KC_BOOTSTRAP_ADMIN_USERNAME)"
    echo "Realm acme account page: $MFA_RECOVERY_KEYCLOAK_URL/realms/acme/account/"
    echo "Recovery desk (operators): $MFA_RECOVERY_SIDECAR_URL/ui/realms/master/desk"
    echo "Keycloak log:            $LOG_FILE"
}

status() {
    if pid_alive "$PID_FILE"; then
        echo "Keycloak ($MFA_INSTANCE) runs, pid $(cat "$PID_FILE")"; print_urls
    else
        echo "Keycloak ($MFA_INSTANCE) is not running"; return 3
    fi
}

case "${1:-}" in
    fetch) fetch ;;
    start) start ;;
    stop) stop_pid_file "$PID_FILE" "Keycloak ($MFA_INSTANCE)"
          if [ "$MFA_RECOVERY_KEYCLOAK_MODE" = production ] && [ -z "${MFA_RECOVERY_KEYCLOAK_DB_URL:-}" ] \
              && [ "${KEYCLOAK_ONLY:-0}" != "1" ]; then
              "$MFA_ROOT/scripts/postgres.sh" stop
          fi ;;
    status) status ;;
    *) echo "usage: $0 fetch|start|stop|status" >&2; exit 64 ;;
esac
