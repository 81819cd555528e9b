"""Start null receivers in their own processes, and read their counters.

A receiver shares no GIL with the process it measures. ``closed_port()`` gives
an address that refuses connections (nothing listens there).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

from benchmarks.proc import bench_env


def closed_port_url() -> str:
    """A loopback URL on a port that was free a moment ago: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def null_receiver(mode: str = "ok"):
    """Yield the base URL of a fresh null receiver process (``ok`` or ``hang``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.null_receiver", "--mode", mode],
        stdout=subprocess.PIPE,
        env=bench_env(),
        text=True,
    )
    try:
        line = proc.stdout.readline()
        port = json.loads(line)["port"]
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def stats(url: str, timeout: float = 5.0) -> dict:
    """The receiver's counters."""
    with urllib.request.urlopen(url + "/__stats", timeout=timeout) as resp:
        return json.loads(resp.read())


def reset(url: str) -> None:
    """Zero the receiver's counters."""
    req = urllib.request.Request(url + "/__reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=5.0) as resp:
        resp.read()


def wait_for_items(url: str, expected: int, settle: float = 1.0, limit: float = 30.0) -> dict:
    """Poll until ``expected`` items arrived, or the count is still for ``settle`` s."""
    deadline = time.monotonic() + limit
    last, still_since = -1, time.monotonic()
    while True:
        current = stats(url)
        now = time.monotonic()
        if current["items"] >= expected or now > deadline:
            return current
        if current["items"] != last:
            last, still_since = current["items"], now
        elif now - still_since > settle:
            return current
        time.sleep(0.01)
