# Shared settings of the project's scripts. Source it; it defines variables and small helpers only.
#
# One "instance" is one set of running servers with its own ports and state: "dev" for the development stack,
# "test" for the test run, so that tests can run while a development stack is up.

MFA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MFA_CACHE="${MFA_RECOVERY_CACHE:-$HOME/.cache/mfa-recovery}"
MFA_INSTANCE="${MFA_RECOVERY_INSTANCE:-dev}"
MFA_INSTANCE_DIR="$MFA_CACHE/instances/$MFA_INSTANCE"

# The Keycloak the scripts run: one setting. The suite runs on 26.7.3; the bridge supports 26.4 and later 26.x
# (MFA_RECOVERY_KEYCLOAK_VERSION=26.4.7 runs the same on 26.4).
KEYCLOAK_VERSION="${MFA_RECOVERY_KEYCLOAK_VERSION:-26.7.3}"
KEYCLOAK_ARTIFACT="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip"
KEYCLOAK_ZIP="$MFA_CACHE/dist/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
KEYCLOAK_PRISTINE="$MFA_CACHE/keycloak-$KEYCLOAK_VERSION"
KEYCLOAK_HOME="$MFA_INSTANCE_DIR/keycloak-$KEYCLOAK_VERSION"

# The sidecar listens on two ports: MFA_RECOVERY_SIDECAR_PORT (admin API, admin UI, health) and
# MFA_RECOVERY_BRIDGE_PORT (the bridge API, for Keycloak only). The mail catcher (Mailpit) takes mail on
# MFA_RECOVERY_SMTP_PORT and shows it on MFA_RECOVERY_MAIL_UI_PORT (web UI and HTTP API).
case "$MFA_INSTANCE" in
    test)  default_kc_port=18080; default_mgmt_port=19000; default_sidecar_port=18081; default_bridge_port=18082; default_smtp_port=11025; default_mail_ui_port=18025 ;;
    test-oldest) default_kc_port=48080; default_mgmt_port=49000; default_sidecar_port=48081; default_bridge_port=48082; default_smtp_port=41025; default_mail_ui_port=48025 ;;
    test-production) default_kc_port=38443; default_mgmt_port=39000; default_sidecar_port=38081; default_bridge_port=38082; default_smtp_port=31025; default_mail_ui_port=38025 ;;
    bench) default_kc_port=28080; default_mgmt_port=29000; default_sidecar_port=28081; default_bridge_port=28082; default_smtp_port=21025; default_mail_ui_port=28025 ;;
    *)     default_kc_port=8080;  default_mgmt_port=9000;  default_sidecar_port=8081;  default_bridge_port=8082;  default_smtp_port=1025;  default_mail_ui_port=8025 ;;
esac
export MFA_RECOVERY_KEYCLOAK_PORT="${MFA_RECOVERY_KEYCLOAK_PORT:-$default_kc_port}"
export MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT="${MFA_RECOVERY_KEYCLOAK_MANAGEMENT_PORT:-$default_mgmt_port}"
export MFA_RECOVERY_SIDECAR_PORT="${MFA_RECOVERY_SIDECAR_PORT:-$default_sidecar_port}"
export MFA_RECOVERY_BRIDGE_PORT="${MFA_RECOVERY_BRIDGE_PORT:-$default_bridge_port}"
export MFA_RECOVERY_SMTP_PORT="${MFA_RECOVERY_SMTP_PORT:-$default_smtp_port}"
export MFA_RECOVERY_SMTP_HOST="${MFA_RECOVERY_SMTP_HOST:-127.0.0.1}"
export MFA_RECOVERY_MAIL_UI_PORT="${MFA_RECOVERY_MAIL_UI_PORT:-$default_mail_ui_port}"
export MFA_RECOVERY_MAIL_UI_URL="http://127.0.0.1:$MFA_RECOVERY_MAIL_UI_PORT"
# Keycloak's mode: "development" (start-dev, plain http) or "production" (kc.sh build, then start --optimized, HTTPS
# with a certificate made for this instance, PostgreSQL, the theme cache on).
export MFA_RECOVERY_KEYCLOAK_MODE="${MFA_RECOVERY_KEYCLOAK_MODE:-development}"
# Production mode runs Keycloak's cluster transport (JGroups; the nodes find each other through the database), on
# this port of 127.0.0.1: one per instance, so that two instances on one machine never meet.
case "$MFA_INSTANCE" in
    test-production) default_cluster_port=37800 ;;
    *) default_cluster_port=7800 ;;
esac
export MFA_RECOVERY_KEYCLOAK_CLUSTER_PORT="${MFA_RECOVERY_KEYCLOAK_CLUSTER_PORT:-$default_cluster_port}"
# Another node of a cluster shares the first node's certificate (MFA_RECOVERY_KEYCLOAK_TLS_DIR), database
# (MFA_RECOVERY_KEYCLOAK_DB_URL, a JDBC URL) and public URL (MFA_RECOVERY_KEYCLOAK_HOSTNAME, what a load balancer
# before the nodes would serve); see docs/operations.md.
KEYCLOAK_TLS_DIR="${MFA_RECOVERY_KEYCLOAK_TLS_DIR:-$MFA_INSTANCE_DIR/tls}"
if [ "$MFA_RECOVERY_KEYCLOAK_MODE" = production ]; then
    export MFA_RECOVERY_KEYCLOAK_URL="https://127.0.0.1:$MFA_RECOVERY_KEYCLOAK_PORT"
    # Whoever calls Keycloak from here (the sidecar, the scripts, the tests) trusts this instance's certificate.
    export REQUESTS_CA_BUNDLE="$KEYCLOAK_TLS_DIR/keycloak.crt" CURL_CA_BUNDLE="$KEYCLOAK_TLS_DIR/keycloak.crt"
    # Keycloak's database: this instance's PostgreSQL (scripts/postgres.sh), apart from the test run's on 15432.
    [ "$MFA_INSTANCE" = test-production ] && export MFA_RECOVERY_POSTGRES_PORT="${MFA_RECOVERY_POSTGRES_PORT:-35432}"
else
    export MFA_RECOVERY_KEYCLOAK_URL="http://127.0.0.1:$MFA_RECOVERY_KEYCLOAK_PORT"
fi
# scripts/postgres.sh's port: the sidecar's test store, and a production-mode Keycloak's database.
export MFA_RECOVERY_POSTGRES_PORT="${MFA_RECOVERY_POSTGRES_PORT:-15432}"
# The sidecar as browsers reach it (the admin UI; the realm import's redirect URIs use this name).
export MFA_RECOVERY_SIDECAR_URL="http://127.0.0.1:$MFA_RECOVERY_SIDECAR_PORT"
# The bridge API: what Keycloak's --spi-authenticator--mfa-recovery--sidecar-url gets.
export MFA_RECOVERY_BRIDGE_URL="http://127.0.0.1:$MFA_RECOVERY_BRIDGE_PORT"

# The sidecar runs in production mode unless told otherwise; the scripts run development instances unless
# MFA_RECOVERY_ENV=production is set.
export MFA_RECOVERY_ENV="${MFA_RECOVERY_ENV:-development}"
# The sidecar's key that signs its answers to Keycloak: unless given (inline or as a file), one made once per
# instance (answer_public_key below).
if [ -z "${MFA_RECOVERY_ANSWER_SIGNING_KEY:-}" ]; then
    export MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE="${MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE:-$MFA_INSTANCE_DIR/sidecar/answer-signing-key.pem}"
fi

# --- Development defaults. Clearly not secret: they exist so that a new user's stack starts with no setup. ---
# In production mode (MFA_RECOVERY_ENV=production) the scripts refuse to fill them in, and the sidecar refuses
# to start with them.
DEV_DEFAULT_ADMIN_PASSWORD="admin-dev-only"
DEV_DEFAULT_SIDECAR_CLIENT_SECRET="dev-only-keycloak-client-secret-change-me"
DEV_DEFAULT_ADMIN_UI_CLIENT_SECRET="dev-only-admin-ui-client-secret-change-me"

use_dev_default() {  # NAME VALUE: set NAME to VALUE unless set; refused in production mode
    local name="$1" value="$2"
    if [ -n "${!name:-}" ]; then return 0; fi
    if [ "$MFA_RECOVERY_ENV" = "production" ]; then
        echo "error: $name must be set in production mode (no development default is used)" >&2
        exit 2
    fi
    export "$name=$value"
}
use_dev_default KC_BOOTSTRAP_ADMIN_USERNAME admin
use_dev_default KC_BOOTSTRAP_ADMIN_PASSWORD "$DEV_DEFAULT_ADMIN_PASSWORD"
use_dev_default MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET "$DEV_DEFAULT_SIDECAR_CLIENT_SECRET"
use_dev_default MFA_RECOVERY_ADMIN_UI_CLIENT_SECRET "$DEV_DEFAULT_ADMIN_UI_CLIENT_SECRET"

pick_java_home() {  # Temurin 25 where present (Keycloak starts faster), else the machine's default JDK
    local jdk
    for jdk in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25*; do
        if [ -x "$jdk/bin/java" ]; then echo "$jdk"; return; fi
    done
    if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME"; return; fi
    dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

wait_for_url() {  # URL SECONDS PID: wait until URL answers 200, or the process dies, or time runs out
    local url="$1" seconds="$2" pid="${3:-}" waited=0
    while [ "$waited" -lt "$((seconds * 2))" ]; do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.5; waited=$((waited + 1))
    done
    return 1
}

stop_pid_file() {  # FILE NAME: stop the process recorded in FILE, politely, then firmly
    local file="$1" name="$2" pid
    [ -f "$file" ] || { log "$name is not running"; return 0; }
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        log "$name stopped"
    fi
    rm -f "$file"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

VENV="$MFA_ROOT/.venv"


ensure_python_env() {  # REQUIREMENTS_FILE: a virtualenv in the clone; pip's download cache stays in ~/.cache/pip
    local requirements="$1" stamp
    stamp="$VENV/.installed-$(sha256sum "$requirements" "$MFA_ROOT/sidecar/pyproject.toml" | sha256sum | cut -c1-16)"
    [ -f "$stamp" ] && return 0
    log "installing Python packages from $(basename "$requirements")"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" >&2
    touch "$stamp"
}

ensure_system_packages() {  # PACKAGE...: install Debian packages that are missing (CI runs as root)
    local missing=() pkg
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

# Mailpit, the development stack's mail catcher (SMTP in, HTTP API and web pages out), built from source with the
# Go toolchain into the cache outside the clone, once per version. Go's own module and build caches (GOPATH,
# GOMODCACHE, GOCACHE; by default ~/go and ~/.cache/go-build) stay where Go keeps them and make a rebuild quick.
# Built this way it serves its API and each mail's /view/ pages, but not its JavaScript web app, which Mailpit
# builds with npm outside its Go module; a release binary put at $MAILPIT_BIN has that too.
MAILPIT_VERSION=1.33.1
MAILPIT_BIN="$MFA_CACHE/bin/mailpit-$MAILPIT_VERSION"

find_go() {  # print the go command: from PATH, else the official tarball's /usr/local/go
    if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
    if [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; return 0; fi
    return 1
}

ensure_mailpit() {  # build Mailpit $MAILPIT_VERSION into $MAILPIT_BIN unless it is there
    [ -x "$MAILPIT_BIN" ] && return 0
    local go
    if ! go="$(find_go)"; then
        echo "error: Mailpit $MAILPIT_VERSION (the development mail catcher) is built from source and needs the Go" \
            "toolchain: 'go' is neither on PATH nor in /usr/local/go/bin. Install Go (https://go.dev/dl/)," \
            "or put a mailpit $MAILPIT_VERSION binary at $MAILPIT_BIN" >&2
        exit 1
    fi
    log "building Mailpit $MAILPIT_VERSION with $("$go" version) (once; into $MFA_CACHE/bin)"
    local tmp started=$SECONDS
    mkdir -p "$MFA_CACHE/bin"
    tmp="$(mktemp -d "$MFA_CACHE/bin/.mailpit-build.XXXXXX")"
    # GOTOOLCHAIN=local: build with this toolchain, never download another one. Pure Go (SQLite included), so no C
    # compiler is needed.
    if ! GOBIN="$tmp" GOTOOLCHAIN=local CGO_ENABLED=0 \
            "$go" install -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=v$MAILPIT_VERSION" \
            "github.com/axllent/mailpit@v$MAILPIT_VERSION" >&2; then
        rm -rf "$tmp"
        echo "error: could not build Mailpit $MAILPIT_VERSION with $go (see the messages above)" >&2
        exit 1
    fi
    mv "$tmp/mailpit" "$MAILPIT_BIN"
    rmdir "$tmp"
    log "Mailpit $MAILPIT_VERSION built in $((SECONDS - started)) s: $MAILPIT_BIN"
}

answer_public_key() {  # print the sidecar's answer public key (base64 SPKI); make the private key first if missing
    [ -x "$VENV/bin/mfa-recovery" ] || ensure_python_env "$MFA_ROOT/requirements.txt"
    if [ -n "${MFA_RECOVERY_ANSWER_SIGNING_KEY:-}" ]; then
        printf '%s\n' "$MFA_RECOVERY_ANSWER_SIGNING_KEY" | "$VENV/bin/mfa-recovery" answer-key public /dev/stdin
    elif [ -f "$MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE" ]; then
        "$VENV/bin/mfa-recovery" answer-key public "$MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE"
    else
        mkdir -p "$(dirname "$MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE")"
        "$VENV/bin/mfa-recovery" answer-key generate "$MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE"
    fi
}
