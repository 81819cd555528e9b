"""Run one measurement in a fresh interpreter and read back its JSON result.

A worker is ``python -m benchmarks.workers.<name> '<json args>'``; it prints
one JSON object as its last line of standard output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Everything that could send a byte off this machine, pointed at loopback or off.
_OFFLINE_ENV = {
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    "DO_NOT_TRACK": "1",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "PYTHONDONTWRITEBYTECODE": "1",
}
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def bench_env() -> dict[str, str]:
    """The environment for every child: no proxies, no telemetry, repo on the path."""
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS}
    env.update(_OFFLINE_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def run_worker(name: str, args: dict, timeout: float) -> dict:
    """Run worker ``name`` with ``args``; return its JSON, or an ``error`` dict."""
    cmd = [sys.executable, "-m", f"benchmarks.workers.{name}", json.dumps(args)]
    started = time.monotonic()
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=bench_env(), cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    result = last_json_line(done.stdout)
    if result is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    result.setdefault("wall_s", time.monotonic() - started)
    return result


def last_json_line(text: str) -> dict | None:
    """The last line of ``text`` that parses as a JSON object."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def run_worker_timed_exit(name: str, args: dict, run_limit: float, exit_limit: float) -> dict:
    """Run a worker that prints its result (with ``done_at``) and then exits.

    Adds ``exit_s``: seconds from ``done_at`` to the process being gone, or
    None when it was still alive after ``exit_limit`` (then it is killed).
    """
    import tempfile

    cmd = [sys.executable, "-m", f"benchmarks.workers.{name}", json.dumps(args)]
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=bench_env(), cwd=ROOT
        )
        result, deadline = None, time.monotonic() + run_limit
        while result is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            result = last_json_line(line)
        if result is None or "done_at" not in result:
            proc.kill()
            proc.wait()
            err.seek(0)
            tail = err.read().strip().splitlines()[-3:]
            return result or {"error": "no result: " + " | ".join(tail)}
        try:
            proc.wait(timeout=max(0.0, result["done_at"] + exit_limit - time.monotonic()))
            result["exit_s"] = time.monotonic() - result["done_at"]
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            result["exit_s"] = None
        return result
