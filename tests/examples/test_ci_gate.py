"""examples/ci/compare_gate.sh as CI runs it: an instrumented agent reports two releases
through the SDK (``OBSERVATORY_RELEASE``), then the gate compares them over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from observatory.server.runner import run_server

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "examples" / "ci" / "compare_gate.sh"

AGENT = """
import os
import observatory

tokens = int(os.environ["TOKENS"])

@observatory.llm(model="gpt-4o-mini")
def complete(prompt, i):
    return {"text": "ok", "usage": {"prompt_tokens": tokens + 10 * (i % 7), "completion_tokens": 40}}

@observatory.agent(name="support-agent")
def support_agent(question, i):
    return complete(question, i)

for i in range(40):
    support_agent(f"question {i}", i)
observatory.flush()
"""


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A receiver holding 40 runs of release v1 and 40 of v2, whose prompts are 3x longer."""
    url, stop = run_server(f"sqlite:///{tmp_path_factory.mktemp('ci') / 'obs.db'}")
    try:
        for release, tokens in (("v1", 1000), ("v2", 3000)):
            env = {
                **os.environ,
                "OBSERVATORY_API_URL": url,
                "OBSERVATORY_RELEASE": release,
                "TOKENS": str(tokens),
            }
            done = subprocess.run(
                [sys.executable, "-c", AGENT], env=env, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stderr
        yield url
    finally:
        stop()


def _gate(url: str, cwd: Path, baseline: str, candidate: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "OBSERVATORY_API_URL": url,
        "BASELINE": baseline,
        "CANDIDATE": candidate,
        "AGENT": "support-agent",
        "GITHUB_STEP_SUMMARY": str(cwd / "summary.md"),
    }
    return subprocess.run(
        ["bash", str(GATE)], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_gate_fails_a_costlier_release_and_passes_an_equal_one(
    receiver: str, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.observatory.policy]\nmax_cost_increase_pct = 10\nmin_runs = 30\n"
    )
    failed = _gate(receiver, tmp_path, "v1", "v2")
    assert failed.returncode == 1, failed.stderr
    report = (tmp_path / "compare.md").read_text()
    assert report.startswith("### Observatory compare: ❌ policy failed") and "(40 runs)" in report
    assert "cost rose" in report and "more than max_cost_increase_pct=10" in report
    # 1000 + 10 x (i mod 7) + 40 completion tokens: 1068.75 on average over i = 0..39
    assert "| tokens per run | 1,068.8 | 3,068.8 | +2,000.0 (+187.1%) |" in report
    assert (
        tmp_path / "summary.md"
    ).read_text() == report and failed.stdout.strip() == report.strip()
    passed = _gate(receiver, tmp_path, "v1", "v1")
    assert passed.returncode == 0, passed.stderr
    assert "✅ policy passed" in (tmp_path / "compare.md").read_text()


def test_gate_without_releases_is_a_setup_error(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(GATE)],
        env={"PATH": os.environ["PATH"]},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0 and "set BASELINE" in done.stderr
