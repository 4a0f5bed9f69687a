#!/usr/bin/env bash
# The tools that prove the deployment files (tests/deploy): helm (renders deploy/helm/mfa-recovery) and a compose
# validator (checks docker-compose.yml). Installs what is missing, into the cache outside the clone, and prints the
# paths as shell assignments, for eval "$(scripts/deploy-tools.sh)":
#   MFA_RECOVERY_HELM=...
#   MFA_RECOVERY_COMPOSE=...   (a command: "docker compose" when the Docker CLI has the plugin, else docker-compose)
# Idempotent: a second run only checks. Exits non-zero when a tool cannot be had (CI must prove the files).
#
# helm is built from source with the Go toolchain (go install, GOTOOLCHAIN=local), once per version, into
# $MFA_CACHE/bin; the first build takes a few minutes, Go's module and build caches make a rebuild quick. The compose
# validator is Debian's docker-compose package, installed with apt-get when neither it nor the Docker CLI's compose
# plugin is there.
set -euo pipefail
source "$(dirname "$0")/common.sh"

HELM_VERSION=3.22.0
HELM_BIN="$MFA_CACHE/bin/helm-$HELM_VERSION"

ensure_helm() {
    [ -x "$HELM_BIN" ] && return 0
    local go tmp started=$SECONDS
    if ! go="$(find_go)"; then
        echo "error: helm $HELM_VERSION is built from source and needs the Go toolchain: 'go' is neither on PATH" \
            "nor in /usr/local/go/bin. Install Go, or put a helm $HELM_VERSION binary at $HELM_BIN" >&2
        exit 1
    fi
    log "building helm $HELM_VERSION with $("$go" version) (once; into $MFA_CACHE/bin)"
    mkdir -p "$MFA_CACHE/bin"
    tmp="$(mktemp -d "$MFA_CACHE/bin/.helm-build.XXXXXX")"
    if ! GOBIN="$tmp" GOTOOLCHAIN=local CGO_ENABLED=0 \
            "$go" install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
            "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" >&2; then
        rm -rf "$tmp"
        echo "error: could not build helm $HELM_VERSION with $go (see the messages above)" >&2
        exit 1
    fi
    mv "$tmp/helm" "$HELM_BIN"
    rmdir "$tmp"
    log "helm $HELM_VERSION built in $((SECONDS - started)) s: $HELM_BIN"
}

compose_command() {  # print the compose command that works here, installing Debian's docker-compose if none does
    if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        echo "docker compose"; return 0
    fi
    if ! command -v docker-compose >/dev/null 2>&1; then
        # Without its recommendations: they bring a Docker engine (docker.io, containerd), not needed to validate.
        log "installing Debian's docker-compose (the compose validator)"
        local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends docker-compose >&2
    fi
    command -v docker-compose
}

ensure_helm
compose="$(compose_command)" || { echo "error: no compose validator (docker compose or docker-compose)" >&2; exit 1; }
# Shell-quoted, so that eval "$(scripts/deploy-tools.sh)" sets both.
printf 'MFA_RECOVERY_HELM=%q\n' "$HELM_BIN"
printf 'MFA_RECOVERY_COMPOSE=%q\n' "$compose"
