#!/usr/bin/env bash
# The whole development stack on 127.0.0.1: Mailpit, sidecar, Keycloak (realm, theme and bridge installed).
#
#   scripts/stack.sh up      start everything (installs what is missing) and print where to click
#   scripts/stack.sh down    stop everything
#   scripts/stack.sh status  say what runs
#   scripts/stack.sh cli ... run the sidecar's command line against this stack, e.g.
#                            scripts/stack.sh cli codes issue --realm acme --user alice
#
# MFA_RECOVERY_INSTANCE=test gives the same stack on the test ports (the test suite does this itself).
set -euo pipefail
source "$(dirname "$0")/common.sh"

SIDECAR_DIR="$MFA_INSTANCE_DIR/sidecar"
MAILPIT_DIR="$MFA_INSTANCE_DIR/mailpit"
export MFA_RECOVERY_DATA_DIR="$SIDECAR_DIR"

# Mailpit catches every mail of the stack: SMTP on MFA_RECOVERY_SMTP_PORT (the realm's SMTP settings point there),
# mails to read on MFA_RECOVERY_MAIL_UI_URL. Its SQLite file lives in the instance like the sidecar's store, so
# mails survive a restart of the stack; Mailpit keeps the newest 500. It accepts mail with or without an SMTP
# login (any user and password, over plain SMTP: loopback only), so MFA_RECOVERY_SMTP_USER can be tried out too.
start_mail_sink() {
    local pid_file="$MFA_INSTANCE_DIR/mailpit.pid" log_file="$MFA_INSTANCE_DIR/mailpit.log"
    pid_alive "$pid_file" && return 0
    # The aiosmtpd sink that stack.sh ran before Mailpit, still holding the SMTP port
    pid_alive "$MFA_INSTANCE_DIR/mailsink.pid" && stop_pid_file "$MFA_INSTANCE_DIR/mailsink.pid" "old mail sink (aiosmtpd)"
    mkdir -p "$MAILPIT_DIR"
    nohup "$MAILPIT_BIN" \
        --smtp "127.0.0.1:$MFA_RECOVERY_SMTP_PORT" \
        --listen "127.0.0.1:$MFA_RECOVERY_MAIL_UI_PORT" \
        --database "$MAILPIT_DIR/mailpit.db" \
        --smtp-auth-accept-any --smtp-auth-allow-insecure \
        --smtp-disable-rdns --disable-version-check \
        >"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
    if ! wait_for_url "$MFA_RECOVERY_MAIL_UI_URL/readyz" 30 "$(cat "$pid_file")"; then
        log "Mailpit did not start; last lines of $log_file:"
        tail -n 20 "$log_file" >&2
        stop_pid_file "$pid_file" Mailpit
        exit 1
    fi
}

mail_ui_hint() {  # where to read mail; a Mailpit built with go install has its API and /view pages but no web app
    if curl -fsS -o /dev/null --max-time 2 "$MFA_RECOVERY_MAIL_UI_URL/dist/app.js" 2>/dev/null; then
        echo "$MFA_RECOVERY_MAIL_UI_URL/"
    else
        echo "$MFA_RECOVERY_MAIL_UI_URL/view/latest.txt  (the newest mail; all: $MFA_RECOVERY_MAIL_UI_URL/api/v1/messages)"
    fi
}

start_sidecar() {
    local pid_file="$MFA_INSTANCE_DIR/sidecar.pid"
    pid_alive "$pid_file" && return 0
    mkdir -p "$SIDECAR_DIR"
    answer_public_key >/dev/null  # the sidecar and Keycloak share this instance's answer key
    nohup "$VENV/bin/mfa-recovery" serve --host 127.0.0.1 --port "$MFA_RECOVERY_SIDECAR_PORT" \
        --bridge-port "$MFA_RECOVERY_BRIDGE_PORT" \
        >"$MFA_INSTANCE_DIR/sidecar.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    if ! wait_for_url "$MFA_RECOVERY_SIDECAR_URL/healthz" 60 "$(cat "$pid_file")"; then
        log "the sidecar did not start; last lines of $MFA_INSTANCE_DIR/sidecar.log:"
        tail -n 30 "$MFA_INSTANCE_DIR/sidecar.log" >&2
        exit 1
    fi
}

up() {
    local started=$SECONDS
    ensure_system_packages unzip curl maven
    ensure_python_env "$MFA_ROOT/requirements.txt"
    ensure_mailpit
    mkdir -p "$MFA_INSTANCE_DIR"
    start_mail_sink
    start_sidecar
    "$MFA_ROOT/scripts/keycloak.sh" start >/dev/null
    log "stack ($MFA_INSTANCE) up in $((SECONDS - started)) s"
    cat <<MSG

mfa-recovery development stack is up ($MFA_INSTANCE). Everything listens on 127.0.0.1 only.

  Sign in as an employee:  $MFA_RECOVERY_KEYCLOAK_URL/realms/acme/account/
      alice / alice-dev-password, TOTP secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP (development only)
      On the one-time code page click "Use backup code/email" and enter one of these fresh backup codes in the
      field at the top of that page ("I have neither" shows her supervisor, carol, and can notify her):

$("$VENV/bin/mfa-recovery" codes issue --realm acme --user alice | sed 's/^/      /')

  Admin UI (realm admins): $MFA_RECOVERY_SIDECAR_URL/ui/realms/acme/employees  (carol / carol-dev-password)
  Keycloak admin console:  $MFA_RECOVERY_KEYCLOAK_URL/admin/  ($KC_BOOTSTRAP_ADMIN_USERNAME / see KC_BOOTSTRAP_ADMIN_PASSWORD, development default "$DEV_DEFAULT_ADMIN_PASSWORD")
  Sidecar:                 $MFA_RECOVERY_SIDECAR_URL/healthz  (bridge API for Keycloak only: $MFA_RECOVERY_BRIDGE_URL)
  Mail (Mailpit):          $(mail_ui_hint)
      every mail the stack sends lands there (SMTP 127.0.0.1:$MFA_RECOVERY_SMTP_PORT)
  Logs:                    $MFA_INSTANCE_DIR/*.log

  More codes:  scripts/stack.sh cli codes issue --realm acme --user alice
  Backup email: add one on $MFA_RECOVERY_KEYCLOAK_URL/realms/acme/account/ → Signing in → Backup codes → Update;
               the codes by mail land in Mailpit above, as every notification does.
  Stop:        scripts/stack.sh down
MSG
}

down() {
    "$MFA_ROOT/scripts/keycloak.sh" stop
    stop_pid_file "$MFA_INSTANCE_DIR/sidecar.pid" sidecar
    stop_pid_file "$MFA_INSTANCE_DIR/mailpit.pid" Mailpit
    pid_alive "$MFA_INSTANCE_DIR/mailsink.pid" && stop_pid_file "$MFA_INSTANCE_DIR/mailsink.pid" "old mail sink (aiosmtpd)"
    return 0
}

status() {
    local rc=0
    "$MFA_ROOT/scripts/keycloak.sh" status || rc=$?
    if pid_alive "$MFA_INSTANCE_DIR/sidecar.pid"; then echo "sidecar runs: $MFA_RECOVERY_SIDECAR_URL (bridge API $MFA_RECOVERY_BRIDGE_URL)"; else echo "sidecar is not running"; rc=3; fi
    if pid_alive "$MFA_INSTANCE_DIR/mailpit.pid"; then echo "Mailpit runs: SMTP 127.0.0.1:$MFA_RECOVERY_SMTP_PORT, mail at $MFA_RECOVERY_MAIL_UI_URL/"; else echo "Mailpit is not running"; rc=3; fi
    return "$rc"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    cli) shift; exec "$VENV/bin/mfa-recovery" "$@" ;;
    *) echo "usage: $0 up|down|status|cli ARGS..." >&2; exit 64 ;;
esac
