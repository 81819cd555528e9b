"""Footprint: import time, RSS over a bare interpreter, threads before and after use.

Run in a fresh interpreter. The import is timed first, with nothing of the
harness loaded but ``json``, ``sys`` and ``time``; then the subject is started
and used once through the common interface.
"""

from __future__ import annotations

import time

from benchmarks.workers._common import args, emit, rss_mib, threads

# What a user writes to get each SDK's decorator (lazy packages are forced).
IMPORTS = {
    "floor": "import collections",
    "observatory": "import observatory; observatory.agent",
    "langfuse": "from langfuse import observe, get_client",
    "langsmith": "from langsmith import traceable, Client",
    "otel": (
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import BatchSpanProcessor\n"
        "from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter"
    ),
    "posthog": "from posthog import Posthog",
    "observatory_otel": (
        "import observatory; observatory.agent\n"
        "from opentelemetry.sdk.trace import TracerProvider"
    ),
}


def measure(a: dict) -> dict:
    rss_bare, threads_bare = rss_mib(), threads()
    t0 = time.perf_counter()
    try:
        exec(IMPORTS[a["subject"]], {})
    except ImportError:
        return {"skipped": "not installed"}
    import_ms = (time.perf_counter() - t0) * 1000
    rss_import = rss_mib()

    from benchmarks.subjects import Skip, make

    try:
        subject = make(a["subject"])
    except Skip as exc:
        return {"skipped": str(exc)}
    subject.start(a["url"])
    rss_init, threads_init = rss_mib(), threads()
    call = subject.wrap(lambda x: x, "bench_agent")
    call(1)
    threads_used = threads()
    return {
        "import_ms": import_ms,
        "import_mib": rss_import - rss_bare,
        "init_mib": rss_init - rss_bare,
        "threads_before": threads_bare,
        "threads_after_init": threads_init,
        "threads_after_use": threads_used,
    }


if __name__ == "__main__":
    emit(measure(args()))
