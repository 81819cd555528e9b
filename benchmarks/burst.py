"""A 100,000-event burst with a queue that holds it: is everything delivered, how fast?

    python -m benchmarks.burst [--events N] [--rounds R]

The delivery scenario uses the SDK's defaults (a 10,000-event queue), so a
tight-loop burst overflows it and the drops are counted; this run sizes
``max_queue_size`` to the burst to show end-to-end throughput at 100% delivery.
Each round is a fresh process against the loopback null receiver.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

ROUND = """
import json, sys, time, observatory
n = int(sys.argv[2])
observatory.init(api_url=sys.argv[1], max_queue_size=2 * n)
started = time.perf_counter()
for i in range(n):
    observatory.track_event("burst", seq=i, payload={"a": 1, "b": "text"})
enqueued = time.perf_counter()
ok = observatory.flush(120)
done = time.perf_counter()
stats = observatory.stats()
print(json.dumps({"enqueue_per_s": n / (enqueued - started), "e2e_per_s": n / (done - started),
                  "delivered": stats["sent"] / n, "ok": ok}))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.null_receiver", "--mode", "ok"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert receiver.stdout is not None
        url = f"http://127.0.0.1:{json.loads(receiver.stdout.readline())['port']}"
        rounds = [
            json.loads(subprocess.run([sys.executable, "-c", ROUND, url, str(args.events)],
                                      capture_output=True, text=True, timeout=300, check=True).stdout)
            for _ in range(args.rounds)
        ]
    finally:
        receiver.kill()
    for key in ("enqueue_per_s", "e2e_per_s", "delivered"):
        values = [r[key] for r in rounds]
        print(f"{key:14} median {statistics.median(values):>12,.2f}   rounds {[round(v, 2) for v in values]}")
    return 0 if all(r["ok"] for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
