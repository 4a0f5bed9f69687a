"""The employees page on a realm of many users: our admin API against Keycloak's own users endpoint, side by side.

Run by hand (not part of the test suite):  python bench/admin_employees.py [--users 100000] [--keycloak-mode production]

It starts the bench instance (as bench/signin_vs_builtin.py does), seeds 10,000 users (``--users``) with Keycloak's
partial import (2,000 a call), makes a realm administrator and a public password-grant client for their token, and
then times, in a random order per round after a warm-up, one page of 20 at a random offset:

- Keycloak: ``GET /admin/realms/acme/users?search=bulk-&first=…&max=20&briefRepresentation=false`` and
  ``/users/count?search=bulk-`` (what a console needs for one page with a total);
- ours: ``GET /admin/v1/realms/acme/employees?search=bulk-&first=…&max=20`` (the same two Keycloak calls with the
  administrator's token, plus the sidecar's own data for the page and the token check).

The admin UI's Employees tab renders exactly this call. Target: ours stays within a small factor of Keycloak's own.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.signin_vs_builtin import REALM, Stack, quantile  # noqa: E402
from tests.support.admin_api import create_administrator, ensure_token_client, token  # noqa: E402

CLIENT = "bench-admin-api"
USERS = 10_000  # the default of --users
PAGE = 20
TIMEOUT = 30


def seed(admin, count: int) -> None:
    width = max(5, len(str(count - 1)))
    users = [
        {"username": f"bulk-{n:0{width}d}", "enabled": True, "email": f"bulk-{n:0{width}d}@bulk.example",
         "firstName": "Bulk", "lastName": f"Employee {n:0{width}d}"}
        for n in range(count)
    ]  # fmt: skip
    for start in range(0, count, 2_000):
        print(f"seeding users {start}–{min(count, start + 2_000) - 1} of {count}", file=sys.stderr)
        response = admin.connection.raw_post(
            f"admin/realms/{REALM}/partialImport",
            data=json.dumps({"ifResourceExists": "SKIP", "users": users[start : start + 2_000]}),
        )
        response.raise_for_status()


def keycloak_page(keycloak_url: str, bearer: str, first: int, users: int) -> None:
    headers = {"Authorization": f"Bearer {bearer}"}
    base = f"{keycloak_url}/admin/realms/{REALM}/users"
    params: dict[str, str | int] = {"search": "bulk-", "first": first, "max": PAGE, "briefRepresentation": "false"}
    page = requests.get(base, params=params, headers=headers, timeout=TIMEOUT)
    count = requests.get(f"{base}/count", params={"search": "bulk-"}, headers=headers, timeout=TIMEOUT)
    page.raise_for_status()
    count.raise_for_status()
    assert len(page.json()) == PAGE and count.json() == users


def our_page(sidecar_url: str, bearer: str, first: int, users: int) -> None:
    params: dict[str, str | int] = {"search": "bulk-", "first": first, "max": PAGE}
    response = requests.get(
        f"{sidecar_url}/admin/v1/realms/{REALM}/employees",
        params=params,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    body = response.json()
    assert len(body["employees"]) == PAGE and body["total"] == users


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--users", type=int, default=USERS, help="users seeded into the realm")
    parser.add_argument(
        "--keycloak-mode",
        choices=("development", "production"),
        default="development",
        help="Keycloak's mode (scripts/keycloak.sh); production: HTTPS, PostgreSQL, start --optimized",
    )
    args = parser.parse_args(argv)
    if args.users <= PAGE:
        parser.error(f"--users must be more than a page ({PAGE})")
    with tempfile.TemporaryDirectory(prefix="mfa-bench-") as data_dir:
        stack = Stack(Path(data_dir), args.keycloak_mode)
        stack.environ["MFA_RECOVERY_ADMIN_CLIENTS"] = CLIENT
        try:
            stack.start()
            admin = stack.admin()
            started = time.monotonic()
            seed(admin, args.users)
            seeded_in = time.monotonic() - started
            ensure_token_client(admin, CLIENT)
            who = create_administrator(admin, "benchadmin", ("realm-admin",))
            samples: dict[str, list[float]] = {"keycloak users + count": [], "ours (admin API)": []}
            for round_number in range(args.warmup + args.rounds):
                bearer = token(stack.keycloak_url, REALM, who.username, who.password, client_id=CLIENT)
                first = random.randrange(0, args.users - PAGE)
                calls = [
                    ("keycloak users + count", keycloak_page, stack.keycloak_url),
                    ("ours (admin API)", our_page, stack.sidecar.url),
                ]
                random.shuffle(calls)
                for name, call, base_url in calls:
                    begin = time.perf_counter()
                    call(base_url, bearer, first, args.users)
                    elapsed = (time.perf_counter() - begin) * 1000
                    if round_number >= args.warmup:
                        samples[name].append(elapsed)
        finally:
            stack.stop()
    keycloak = "start-dev" if args.keycloak_mode == "development" else "production mode (HTTPS, PostgreSQL)"
    print(
        f"employees page benchmark  {time.strftime('%Y-%m-%d %H:%M')}  Keycloak 26.7.3 {keycloak}  "
        f"{args.users} users (seeded in {seeded_in:.1f} s)"
    )
    print(f"{args.rounds} pages of {PAGE} per method at random offsets, interleaved, after {args.warmup} warm-up")
    print()
    print(f"{'method':<26}{'median ms':>10}{'p90 ms':>9}{'max ms':>9}")
    for name, values in samples.items():
        print(f"{name:<26}{statistics.median(values):>10.1f}{quantile(values, 0.9):>9.1f}{max(values):>9.1f}")
    ours, keycloak_own = samples["ours (admin API)"], samples["keycloak users + count"]
    median = statistics.median(ours) / statistics.median(keycloak_own)
    p90 = quantile(ours, 0.9) / quantile(keycloak_own, 0.9)
    print(f"\nours / keycloak: median {median:.2f}, p90 {p90:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
