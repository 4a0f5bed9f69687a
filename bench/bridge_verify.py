"""Throughput and latency of the bridge API's backup-code verification, beside the machine's raw argon2id rate.

Run by hand (not part of the test suite):  python bench/bridge_verify.py

It starts its own sidecar (``mfa-recovery serve`` on 127.0.0.1, a temporary SQLite store, its own ports) and, in
place of Keycloak, a loopback JWKS endpoint of a realm ``bench`` whose RSA key signs the bridge tokens; it issues
backup codes to a few users in that store, then posts ``/bridge/v1/backup-codes/verify`` from 1, 4 and 16
concurrent clients (threads, one ``requests.Session`` each, a fresh bridge token per call as the Keycloak bridge
makes them, minted before the level starts: Keycloak signs them on its own CPU). Most codes are wrong ones for a
user who has a set, so each call costs one real argon2id verification (a miss runs the dummy verification); one
call in 16 uses a valid code. Each level is bounded by a request count and by time. Next to it, the same run
measures argon2id verifications with the sidecar's own ``CodeHasher`` on one thread and on as many threads as the
machine has cores, and prints ours/raw.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.support

from mfa_recovery.backup_codes.codes import generate_code
from mfa_recovery.backup_codes.hashing import MEMORY_COST_KIB, PARALLELISM, TIME_COST, CodeHasher
from mfa_recovery.bridge_auth.tokens import TOKEN_TYPE
from mfa_recovery.config import Settings
from mfa_recovery.services import build_services
from tests.support.stack import SidecarServer, write_new_answer_key

VERIFY_PATH = "/bridge/v1/backup-codes/verify"
REALM = "bench"
USERS = 8  # wrong codes are spread over them, so no user reaches the sidecar's per-user failure limit
CODES_PER_USER = 10
VALID_EVERY = 16  # one call in 16 carries a valid, unused code


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


KEY_ID = "bench-key"


class RealmKeys:
    """The realm's signing key, and its JWKS served on a loopback port as Keycloak serves it."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        body = json.dumps({"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}).encode()
        certs_path = f"/realms/{REALM}/protocol/openid-connect/certs"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                found = self.path == certs_path
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body if found else b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def keycloak_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()


def bridge_token(key: rsa.RSAPrivateKey, user_id: str, realm: str = REALM, path: str = VERIFY_PATH) -> str:
    """A bridge token as docs/architecture.md defines it (RS256 by the realm's key, one call, 30 s)."""
    now = int(time.time())
    claims = {
        "iss": "mfa-recovery-bridge",
        "aud": "mfa-recovery-sidecar",
        "sub": user_id,
        "realm": realm,
        "att": f"{uuid.uuid4()}.bench",
        "htm": "POST",
        "htu": path,
        "iat": now,
        "exp": now + 30,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID, "typ": TOKEN_TYPE})


# --- raw argon2id --------------------------------------------------------------------------------------------


def raw_rate(hasher: CodeHasher, threads: int, seconds: float) -> float:
    """argon2id verifications per second of this machine, with ``threads`` threads (argon2-cffi releases the GIL)."""
    encoded = hasher.hash(generate_code())
    deadline = time.perf_counter() + seconds
    counts = [0] * threads

    def work(index: int) -> None:
        while time.perf_counter() < deadline:
            hasher.verify(encoded, generate_code())  # a wrong code: a full verification, answer False
            counts[index] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(work, range(threads)))
    return sum(counts) / (time.perf_counter() - started)


# --- the sidecar -----------------------------------------------------------------------------------------------


@dataclass
class Sidecar:
    port: int
    bridge_port: int
    workers: int
    directory: Path
    realm_keys: RealmKeys
    pepper: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    server: SidecarServer | None = None

    @property
    def url(self) -> str:
        """The bridge API."""
        return f"http://127.0.0.1:{self.bridge_port}"

    @property
    def environ(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("MFA_RECOVERY_")}
        env.update(
            MFA_RECOVERY_ENV="development",
            MFA_RECOVERY_DATABASE_URL=f"sqlite:///{self.directory / 'bench.db'}",
            MFA_RECOVERY_KEYCLOAK_URL=self.realm_keys.keycloak_url,
            MFA_RECOVERY_ANSWER_SIGNING_KEY_FILE=str(self.directory / "answer-signing-key.pem"),
            MFA_RECOVERY_CODE_PEPPER=self.pepper,
            # Wrong codes are the point of the exercise: keep the per-user limit out of the way.
            MFA_RECOVERY_FAILURE_LIMIT="1000",
            MFA_RECOVERY_SOURCE_FAILURE_LIMIT="100000",  # every client calls from 127.0.0.1
        )
        return env

    def start(self) -> None:
        self.server = SidecarServer(
            self.port, self.environ, self.directory / "sidecar.log", workers=self.workers, bridge_port=self.bridge_port
        )
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@dataclass
class Level:
    clients: int
    requests: int
    seconds: float
    latencies: list[float]
    results: Counter

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


class Workload:
    """Who to ask about which code, thread-safe: mostly wrong codes, one valid code in VALID_EVERY."""

    def __init__(self, codes: dict[str, list[str]]) -> None:
        self._users = list(codes)
        self._valid = [(user, code) for user, user_codes in codes.items() for code in user_codes]
        self._lock = threading.Lock()
        self._counter = 0

    def next(self) -> tuple[str, str]:
        with self._lock:
            self._counter += 1
            n = self._counter
            if n % VALID_EVERY == 0 and self._valid:
                return self._valid.pop()
        return self._users[n % len(self._users)], generate_code()


def prepared_call(sidecar: Sidecar, user: str, code: str) -> tuple[dict[str, str], dict[str, str]]:
    """The headers (a fresh bridge token for ``user``) and the body of one verify call."""
    headers = {"Authorization": f"Bearer {bridge_token(sidecar.realm_keys.private_key, user)}"}
    return headers, {"code": code, "ip": "127.0.0.1", "user_agent": "mfa-recovery-bench/1.0"}


def run_level(sidecar: Sidecar, workload: Workload, clients: int, max_requests: int, max_seconds: float) -> Level:
    latencies: list[float] = []
    results: Counter = Counter()
    lock = threading.Lock()
    issued = 0
    start_line = threading.Barrier(clients + 1)
    deadline = 0.0

    # Every call's token is minted before the level starts: in production Keycloak signs it, on its own CPU, so the
    # clients' signing must not take CPU from the sidecar here (tokens live 30 s, a level at most max_seconds).
    calls = [prepared_call(sidecar, *workload.next()) for _ in range(max_requests)]

    def take() -> tuple[dict[str, str], dict[str, str]] | None:
        nonlocal issued
        with lock:
            if issued >= max_requests or time.perf_counter() > deadline:
                return None
            issued += 1
            return calls[issued - 1]

    def client() -> None:
        http = requests.Session()
        start_line.wait()
        while (call := take()) is not None:
            headers, body = call
            began = time.perf_counter()
            response = http.post(f"{sidecar.url}{VERIFY_PATH}", json=body, headers=headers, timeout=30)
            elapsed = time.perf_counter() - began
            outcome = response.json().get("result", f"http {response.status_code}") if response.ok else None
            with lock:
                latencies.append(elapsed)
                results[outcome or f"http {response.status_code}"] += 1
        http.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + max_seconds
    started = time.perf_counter()
    start_line.wait()
    for thread in threads:
        thread.join()
    return Level(clients, len(latencies), time.perf_counter() - started, latencies, results)


def issue_codes(sidecar: Sidecar) -> dict[str, list[str]]:
    services = build_services(Settings.from_env(sidecar.environ))  # the real hasher: valid codes cost a real check
    try:
        return {
            user: services.backup_codes.issue(REALM, user, CODES_PER_USER)
            for user in (str(uuid.uuid4()) for _ in range(USERS))
        }
    finally:
        services.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=28181)
    parser.add_argument("--bridge-port", type=int, default=28182)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (default: cores)")
    parser.add_argument("--levels", default="1,4,16", help="concurrent clients, comma-separated")
    parser.add_argument("--requests", type=int, default=400, help="at most this many calls per level")
    parser.add_argument("--seconds", type=float, default=15, help="at most this long per level")
    parser.add_argument("--raw-seconds", type=float, default=3, help="length of each raw argon2id measurement")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",")]
    cores = os.cpu_count() or 1

    hasher = CodeHasher()
    raw_before = (raw_rate(hasher, 1, args.raw_seconds), raw_rate(hasher, cores, args.raw_seconds))

    with tempfile.TemporaryDirectory(prefix="mfa-bench-") as directory:
        realm_keys = RealmKeys()
        sidecar = Sidecar(args.port, args.bridge_port, args.workers, Path(directory), realm_keys)
        write_new_answer_key(Path(directory) / "answer-signing-key.pem")
        codes = issue_codes(sidecar)
        workload = Workload(codes)
        sidecar.start()
        try:
            run_level(sidecar, workload, 2, 10, 10)  # warm-up: connections, imports, SQLite pages
            measured: list[Level] = []
            for clients in levels:
                measured.append(run_level(sidecar, workload, clients, args.requests, args.seconds))
        finally:
            sidecar.stop()
            realm_keys.stop()

    raw_after = (raw_rate(hasher, 1, args.raw_seconds), raw_rate(hasher, cores, args.raw_seconds))
    raw_single = (raw_before[0] + raw_after[0]) / 2
    raw_all = (raw_before[1] + raw_after[1]) / 2

    print_report(args, cores, measured, raw_before, raw_after, raw_single, raw_all)
    unexpected = sum(level.results[key] for level in measured for key in level.results if key not in GOOD)
    return 1 if unexpected else 0


GOOD = ("accepted", "rejected")


def print_report(
    args: argparse.Namespace,
    cores: int,
    measured: list[Level],
    raw_before: tuple[float, float],
    raw_after: tuple[float, float],
    raw_single: float,
    raw_all: float,
) -> None:
    line: Callable[[str], None] = print
    line(
        f"bridge verify benchmark  {time.strftime('%Y-%m-%d %H:%M')}  {platform.node()}  {cores} cores  "
        f"Python {platform.python_version()}"
    )
    line(
        f"argon2id t={TIME_COST} m={MEMORY_COST_KIB} KiB p={PARALLELISM}; sidecar: gunicorn {args.workers} workers, "
        f"SQLite; 1 call in {VALID_EVERY} with a valid code"
    )
    line("")
    line(f"raw argon2id (CodeHasher.verify)   1 thread: {raw_single:6.1f}/s   {cores} threads: {raw_all:6.1f}/s")
    line(
        f"   (before: {raw_before[0]:.1f} / {raw_before[1]:.1f}/s, after: {raw_after[0]:.1f} / {raw_after[1]:.1f}/s; "
        f"1 verification = {1000 / raw_single:.1f} ms)"
    )
    line("")
    header = (
        f"{'clients':>7} {'calls':>6} {'calls/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'raw/s':>7} {'ours/raw':>8}  results"
    )
    line(header)
    line("-" * len(header))
    for level in measured:
        raw = raw_single if level.clients == 1 else raw_all
        results = ", ".join(f"{key} {count}" for key, count in sorted(level.results.items()))
        line(
            f"{level.clients:>7} {level.requests:>6} {level.throughput:>8.1f} "
            f"{1000 * percentile(level.latencies, 0.50):>7.1f} {1000 * percentile(level.latencies, 0.99):>7.1f} "
            f"{raw:>7.1f} {level.throughput / raw:>8.2f}  {results}"
        )
    line("")
    line("ours/raw: calls/s over raw argon2id verifications/s (1 client vs 1 thread; more clients vs all cores).")
    line("Target: >= 0.90.")


if __name__ == "__main__":
    raise SystemExit(main())
