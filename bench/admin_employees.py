"""The employees page on a realm of 10,000 users: our admin API against Keycloak's own users endpoint, side by side.

Run by hand (not part of the test suite):  python bench/admin_employees.py

It starts the bench instance (as bench/signin_vs_builtin.py does), seeds 10,000 users with Keycloak's partial
import, makes a realm administrator and a public password-grant client for their token, and then times, in a random
order per round after a warm-up, one page of 20 at a random offset:

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
USERS = 10_000
PAGE = 20
TIMEOUT = 30


def seed(admin, count: int) -> None:
    users = [
        {"username": f"bulk-{n:05d}", "enabled": True, "email": f"bulk-{n:05d}@bulk.example",
         "firstName": "Bulk", "lastName": f"Employee {n:05d}"}
        for n in range(count)
    ]  # fmt: skip
    for start in range(0, count, 2_000):
        response = admin.connection.raw_post(
            f"admin/realms/{REALM}/partialImport",
            data=json.dumps({"ifResourceExists": "SKIP", "users": users[start : start + 2_000]}),
        )
        response.raise_for_status()


def keycloak_page(keycloak_url: str, bearer: str, first: int) -> None:
    headers = {"Authorization": f"Bearer {bearer}"}
    base = f"{keycloak_url}/admin/realms/{REALM}/users"
    params: dict[str, str | int] = {"search": "bulk-", "first": first, "max": PAGE, "briefRepresentation": "false"}
    page = requests.get(base, params=params, headers=headers, timeout=TIMEOUT)
    count = requests.get(f"{base}/count", params={"search": "bulk-"}, headers=headers, timeout=TIMEOUT)
    page.raise_for_status()
    count.raise_for_status()
    assert len(page.json()) == PAGE and count.json() == USERS


def our_page(sidecar_url: str, bearer: str, first: int) -> None:
    params: dict[str, str | int] = {"search": "bulk-", "first": first, "max": PAGE}
    response = requests.get(
        f"{sidecar_url}/admin/v1/realms/{REALM}/employees",
        params=params,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    body = response.json()
    assert len(body["employees"]) == PAGE and body["total"] == USERS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mfa-bench-") as data_dir:
        stack = Stack(Path(data_dir))
        stack.environ["MFA_RECOVERY_ADMIN_CLIENTS"] = CLIENT
        stack.start()
        try:
            admin = stack.admin()
            started = time.monotonic()
            seed(admin, USERS)
            seeded_in = time.monotonic() - started
            ensure_token_client(admin, CLIENT)
            who = create_administrator(admin, "benchadmin", ("realm-admin",))
            samples: dict[str, list[float]] = {"keycloak users + count": [], "ours (admin API)": []}
            for round_number in range(args.warmup + args.rounds):
                bearer = token(stack.keycloak_url, REALM, who.username, who.password, client_id=CLIENT)
                first = random.randrange(0, USERS - PAGE)
                calls = [
                    ("keycloak users + count", keycloak_page, stack.keycloak_url),
                    ("ours (admin API)", our_page, stack.sidecar.url),
                ]
                random.shuffle(calls)
                for name, call, base_url in calls:
                    begin = time.perf_counter()
                    call(base_url, bearer, first)
                    elapsed = (time.perf_counter() - begin) * 1000
                    if round_number >= args.warmup:
                        samples[name].append(elapsed)
        finally:
            stack.stop()
    print(f"employees page benchmark  {time.strftime('%Y-%m-%d %H:%M')}  {USERS} users (seeded in {seeded_in:.1f} s)")
    print(f"{args.rounds} pages of {PAGE} per method at random offsets, interleaved, after {args.warmup} warm-up")
    print()
    print(f"{'method':<26}{'median ms':>10}{'p90 ms':>9}{'max ms':>9}")
    for name, values in samples.items():
        print(f"{name:<26}{statistics.median(values):>10.1f}{quantile(values, 0.9):>9.1f}{max(values):>9.1f}")
    ratio = statistics.median(samples["ours (admin API)"]) / statistics.median(samples["keycloak users + count"])
    print(f"\nours / keycloak: median {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
