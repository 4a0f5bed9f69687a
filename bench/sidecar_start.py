"""The sidecar's start time and idle memory, over several starts.

Run by hand (not part of the test suite):  python bench/sidecar_start.py [--starts 5]

It starts ``mfa-recovery serve`` (2 gunicorn workers, the bench instance's ports 28081 and 28082, a temporary SQLite
store, fresh secrets; no Keycloak is needed to answer /healthz) ``--starts`` times, one after the other: the first
on an empty store (the schema is created), the others on the same store, as a restart finds it. Each is timed from
spawning ``mfa-recovery serve`` to /healthz answering 200 on both ports (polled every 10 ms; /health/ready also asks
Keycloak and the mail server, which are not part of the sidecar's start). ``--settle`` seconds later, when every
worker has booted, it reads the resident memory (VmRSS in /proc/<pid>/status) of the gunicorn master and of each
worker, and stops the sidecar.

bench/signin_vs_builtin.py prints the same for the sidecar of its run, idle after start and after the sign-ins.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.signin_vs_builtin import Stack  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="starts, the first on an empty store")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after ready before reading memory")
    args = parser.parse_args(argv)

    ready: list[float] = []
    memory: list[dict[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="mfa-bench-start-") as directory:
        stack = Stack(Path(directory))  # its sidecar only, with the sign-in benchmark's settings
        for number in range(args.starts):
            print(f"start {number + 1} of {args.starts}", file=sys.stderr)
            stack.sidecar.start()
            try:
                assert stack.sidecar.ready_after is not None
                ready.append(stack.sidecar.ready_after)
                time.sleep(args.settle)
                memory.append(stack.sidecar.memory())
            finally:
                stack.sidecar.stop()

    print(f"sidecar start benchmark  {time.strftime('%Y-%m-%d %H:%M')}  {platform.node()}  {os.cpu_count()} cores")
    print(f"{args.starts} starts of mfa-recovery serve (2 gunicorn workers, SQLite), the first on an empty store")
    print()
    names = list(dict.fromkeys(name for rss in memory for name in rss))
    header = f"{'start':<18}{'ready ms':>9}" + "".join(f"{name:>10}" for name in names) + f"{'total':>10}"
    print(header + "   (VmRSS MiB)")
    print("-" * len(header))
    for number, (seconds, rss) in enumerate(zip(ready, memory, strict=True)):
        label = "1 (empty store)" if number == 0 else str(number + 1)
        cells = "".join(f"{rss[name] / 1024:>10.1f}" if name in rss else f"{'-':>10}" for name in names)
        print(f"{label:<18}{1000 * seconds:>9.0f}{cells}{sum(rss.values()) / 1024:>10.1f}")
    if len(ready) > 1:
        restarts = ready[1:]
        totals = [sum(rss.values()) / 1024 for rss in memory]
        print()
        print(
            f"restarts: ready in median {1000 * statistics.median(restarts):.0f} ms "
            f"(min {1000 * min(restarts):.0f}, max {1000 * max(restarts):.0f}); "
            f"idle VmRSS, all processes: median {statistics.median(totals):.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
