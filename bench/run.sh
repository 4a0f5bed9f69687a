#!/usr/bin/env bash
# The three benchmarks, one after the other; each prints a table. Not part of the test suite.
#   bench/run.sh                 (uses .venv when scripts/test.sh or scripts/stack.sh made one, else python3)
# Arguments are not passed on; run a script directly for its options (python bench/<script>.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
python="python3"
[ -x .venv/bin/python ] && .venv/bin/python -c "import bs4, pyotp, keycloak, mfa_recovery" 2>/dev/null && python=.venv/bin/python

echo "== bench/bridge_verify.py =="
"$python" bench/bridge_verify.py
echo
echo "== bench/signin_vs_builtin.py =="
"$python" bench/signin_vs_builtin.py
echo
echo "== bench/admin_employees.py =="
"$python" bench/admin_employees.py
