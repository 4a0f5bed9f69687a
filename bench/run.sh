#!/usr/bin/env bash
# The four benchmarks, one after the other; each prints a table. Not part of the test suite.
#   bench/run.sh                 (uses .venv when scripts/test.sh or scripts/stack.sh made one, else python3)
#   BENCH_KEYCLOAK_MODE=production bench/run.sh
#                                (the sign-in and employees benchmarks on Keycloak's production mode)
# Arguments are not passed on; run a script directly for its options (python bench/<script>.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
python="python3"
[ -x .venv/bin/python ] && .venv/bin/python -c "import bs4, pyotp, keycloak, mfa_recovery" 2>/dev/null && python=.venv/bin/python
mode="${BENCH_KEYCLOAK_MODE:-development}"

echo "== bench/bridge_verify.py =="
"$python" bench/bridge_verify.py
echo
echo "== bench/sidecar_start.py =="
"$python" bench/sidecar_start.py
echo
echo "== bench/signin_vs_builtin.py --keycloak-mode $mode =="
"$python" bench/signin_vs_builtin.py --keycloak-mode "$mode"
echo
echo "== bench/admin_employees.py --keycloak-mode $mode =="
"$python" bench/admin_employees.py --keycloak-mode "$mode"
