#!/usr/bin/env bash
# Every test: lint, types (the sidecar's, and the tests' and benchmarks'), the bridge's JUnit tests, the sidecar's
# unit tests, the deployment files (compose, the Helm chart), sign-ins against a real Keycloak, and the browser tests
# in headless Chromium. It installs what is missing, starts its own Keycloak and sidecar on the test ports (so a
# development stack may keep running) and stops them at the end. Arguments go to pytest, e.g. scripts/test.sh tests/unit
set -euo pipefail
export MFA_RECOVERY_INSTANCE=test
source "$(dirname "$0")/common.sh"
cd "$MFA_ROOT"

started=$SECONDS
ensure_system_packages unzip curl maven openjdk-17-jdk-headless chromium postgresql tesseract-ocr
ensure_python_env "$MFA_ROOT/requirements-test.txt"

# helm and a compose validator for tests/deploy: built or installed once (minutes the first time), meanwhile the
# checks below run.
mkdir -p "$MFA_INSTANCE_DIR"
log "deployment tools (helm, a compose validator): in the background, log $MFA_INSTANCE_DIR/deploy-tools.log"
bash "$MFA_ROOT/scripts/deploy-tools.sh" >"$MFA_INSTANCE_DIR/deploy-tools.env" 2>"$MFA_INSTANCE_DIR/deploy-tools.log" &
deploy_tools=$!

log "lint: ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

log "types: mypy --strict (sidecar/mfa_recovery)"
(cd "$MFA_ROOT/sidecar" && "$VENV/bin/mypy")
log "types: mypy over tests and bench (the fakes against the Protocols)"
"$VENV/bin/mypy" --config-file mypy-tests.ini tests bench

log "JUnit: the bridge's own logic (keycloak-bridge)"
if ! (cd "$MFA_ROOT/keycloak-bridge" && mvn -B -ntp test >"$MFA_INSTANCE_DIR/junit.log" 2>&1); then
    tail -n 60 "$MFA_INSTANCE_DIR/junit.log" >&2
    log "the bridge's unit tests failed"
    exit 1
fi
grep -h "Tests run:" "$MFA_ROOT"/keycloak-bridge/target/surefire-reports/*.txt >&2

deployment_tools() {  # wait for the background install, then hand its paths to tests/deploy
    if ! wait "$deploy_tools"; then
        tail -n 30 "$MFA_INSTANCE_DIR/deploy-tools.log" >&2
        log "the deployment tools could not be installed"
        exit 1
    fi
    source "$MFA_INSTANCE_DIR/deploy-tools.env"  # MFA_RECOVERY_HELM=…, MFA_RECOVERY_COMPOSE=… (shell-quoted)
    export MFA_RECOVERY_HELM MFA_RECOVERY_COMPOSE
}

pytest_pass() {  # NAME PYTEST-ARGUMENTS...: one pytest run; rc keeps the first failure, 5 (nothing collected) too
    local name="$1" status=0
    shift
    log "pytest: $name"
    "$VENV/bin/python" -m pytest --durations=25 "$@" || status=$?
    if [ "$status" -eq 5 ]; then
        log "pytest collected no tests: that is a failure, not a pass"
        status=1
    fi
    [ "$rc" -ne 0 ] || rc=$status
}

rc=0
if [ "$#" -gt 0 ]; then
    deployment_tools
    pytest_pass "$*" "$@"
else
    # Everything but the deployment files first, while helm may still be building (minutes on a new machine).
    pytest_pass "everything on Keycloak $KEYCLOAK_VERSION" --ignore=tests/deploy --ignore=tests/cluster
    deployment_tools
    pytest_pass "the deployment files" tests/deploy
    # Keycloak as users run it: production mode (kc.sh build, start --optimized, HTTPS, PostgreSQL, the theme cache
    # on), its own instance and ports, the sidecar on PostgreSQL too: the recovery sign-ins, the admin UI, two
    # sidecars on one store, and a second Keycloak node in a cluster with the first (tests/cluster).
    MFA_RECOVERY_TEST_INSTANCE=test-production MFA_RECOVERY_KEYCLOAK_MODE=production MFA_RECOVERY_TEST_STORE=postgresql \
        pytest_pass "Keycloak in production mode (instance test-production)" \
        tests/integration/test_signin.py tests/browser/test_admin_ui.py tests/integration/test_two_sidecars.py \
        tests/cluster
    # The integration tests again, on the other side of two independent axes at once: the oldest Keycloak the bridge
    # supports (it is built against that SPI), and the sidecar's other store, a PostgreSQL database of its own
    # (schema by `mfa-recovery db upgrade`). One pass for both keeps the suite's time down.
    MFA_RECOVERY_TEST_INSTANCE=test-oldest MFA_RECOVERY_KEYCLOAK_VERSION=26.4.7 MFA_RECOVERY_TEST_STORE=postgresql \
        pytest_pass "Keycloak 26.4.7 and the PostgreSQL store (instance test-oldest)" \
        tests/integration --deselect tests/integration/test_readme_stack.py
fi
log "finished in $((SECONDS - started)) s with exit status $rc"
exit "$rc"
