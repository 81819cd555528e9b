"""A short-lived script (cron job, CLI command) that exits right after its work and still delivers.

Shows the two ways events get out of a process that ends quickly:
1. `observatory.flush(timeout=5.0)` where you want to know: it returns True once everything
   queued so far was delivered (False after the timeout: the receiver is slow or down);
2. the automatic exit hook: events queued after the last flush are sent when the interpreter
   exits normally, within `shutdown_timeout` (default 2 s) — no call needed.

Run a receiver first (`observatory serve`), then:

    python examples/short_lived_script.py

It reports to OBSERVATORY_API_URL (default http://127.0.0.1:8787), with OBSERVATORY_API_KEY as a
Bearer token when set. It prints the two agent run ids; look them up with
`curl http://127.0.0.1:8787/api/run/<run_id>`.
"""

from __future__ import annotations

import time

import observatory


@observatory.llm(model="gpt-4o-mini")
def summarize(rows: list[str]) -> dict:
    time.sleep(0.05)  # stand-in for the model call
    return {
        "text": f"{len(rows)} rows, nothing unusual",
        "usage": {"prompt_tokens": 180 * len(rows), "completion_tokens": 35},  # read by the SDK
    }


@observatory.tool
def fetch_rows(day: str) -> list[str]:
    time.sleep(0.02)
    return [f"{day} row {i}" for i in range(3)]


@observatory.agent(name="nightly-report", tags=["example", "short-lived"])
def nightly_report(day: str) -> str:
    print(f"run_id={observatory.current_run().run_id} day={day}")
    return summarize(fetch_rows(day))["text"]


def main() -> None:
    # 1. Explicit flush: wait (at most 5 s) until the first report is delivered.
    nightly_report("2026-05-28")
    delivered = observatory.flush(timeout=5.0)
    print(f"flush(timeout=5.0) -> {delivered}")

    # 2. The exit hook: this report is still queued when main() returns; the interpreter's
    #    exit sends it (within shutdown_timeout). No flush() call.
    nightly_report("2026-05-29")
    print("exiting without flush(); the exit hook delivers the rest")


if __name__ == "__main__":
    main()
