"""The benchmark suite still runs: a quick subset end to end, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_subset_prints_tables_and_saves_json(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--only",
            "hotpath,footprint",
            "--subjects",
            "observatory,otel",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(1) Hot path" in done.stdout and "(4) Footprint" in done.stdout
    assert "single_sync  | observatory" in done.stdout
    report = json.loads(out.read_text())
    rows = report["scenarios"]["hotpath"]["rows"]
    assert {r["subject"] for r in rows} == {"floor", "observatory", "otel"}
    for row in rows:  # a result, or a visible reason why not
        assert "overhead_med_us" in row or row.get("note", "").startswith("skipped")

    # the README's tables come from such a file
    markdown = subprocess.run(
        [sys.executable, "-m", "benchmarks.readme", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "`python -m benchmarks --quick --only hotpath,footprint" in markdown
    assert "| single_sync | observatory |" in markdown
    assert "**(4) Footprint" in markdown


def test_null_receiver_counts_every_format() -> None:
    from benchmarks.counting import count_items, count_otlp_spans

    assert count_items("application/json", b'{"events": [{}, {}]}') == 2
    assert count_items("application/json", b'{"batch": [{}, {}, {}]}') == 3
    assert count_items("application/json", b'{"post": [{}], "patch": [{}]}') == 1
    part = b'Content-Disposition: form-data; name="post.0f1e2d3c-aaaa-bbbb-cccc-000000000001"'
    assert count_items("multipart/form-data; boundary=x", part + b"\r\n" + part) == 2
    span = b"\x12\x00"  # ScopeSpans.spans (field 2), empty
    scope = b"\x12" + bytes([len(span * 3)]) + span * 3  # ResourceSpans.scope_spans
    assert count_otlp_spans(b"\x0a" + bytes([len(scope)]) + scope) == 3
