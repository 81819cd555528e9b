"""Where and with what a run was made: date, machine, Python, package versions."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from importlib import metadata

PACKAGES = [
    "observatory-sdk",
    "langfuse",
    "langsmith",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
    "posthog",
    "langchain-core",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
]


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def collect(mode: str, argv: list[str]) -> dict:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "command": "python -m benchmarks " + " ".join(argv),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "versions": {p: _version(p) for p in PACKAGES},
    }


def header(meta: dict) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    return (
        f"Observatory benchmarks · {meta['date']} · mode {meta['mode']}\n"
        f"{meta['cpu']} × {meta['cores']} cores · Python {meta['python']} · "
        f"{meta['platform']}\n{versions}\ncommand: {meta['command']}"
    )
