"""What you see when the receiver is down: your program is unaffected and exits promptly.

Shows: decorated calls keep working (no exception, no waiting) while nothing listens;
`observatory.flush(timeout=1.0)` returns False instead of hanging; `observatory.stats()` says
what is queued and dropped; at exit the SDK tries for `shutdown_timeout` (1 s here, 2 s by
default), then gives up and logs how many events it dropped, through the `observatory` logger.

    python examples/receiver_down.py            # points at a closed port on 127.0.0.1
    python examples/receiver_down.py URL        # or at a URL of your choosing

Unlike the other examples it ignores OBSERVATORY_API_URL (the point is a receiver that is down).
Expected output ends with a warning like:

    WARNING observatory: 16 events could not be delivered to http://127.0.0.1:PORT at shutdown ...
"""

from __future__ import annotations

import logging
import socket
import sys
import time

import observatory


def closed_port_url() -> str:
    """A loopback URL nobody listens on (a port the OS just handed out and we released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@observatory.tool
def lookup(key: str) -> str:
    return key.upper()


@observatory.agent(name="offline-agent", tags=["example"])
def work(item: str) -> str:
    return lookup(item)


def main() -> None:
    # The SDK logs through the "observatory" logger only; show its warnings.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    url = sys.argv[1] if len(sys.argv) > 1 else closed_port_url()
    observatory.init(api_url=url, shutdown_timeout=1.0)

    started = time.monotonic()
    results = [work(item) for item in ("a", "b", "c", "d")]  # 4 agent + 4 tool runs = 16 events
    print(f"work done in {time.monotonic() - started:.3f}s: {results}")

    started = time.monotonic()
    delivered = observatory.flush(timeout=1.0)
    print(f"flush(timeout=1.0) -> {delivered} after {time.monotonic() - started:.1f}s")
    print(f"stats: {observatory.stats()}")
    print("exiting; the exit hook tries for shutdown_timeout=1.0s, then logs what it dropped")


if __name__ == "__main__":
    main()
