"""``observatory demo`` end to end (SDK → real receiver → printed summary)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import cli


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", "demo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_demo_runs_on_the_embedded_default(tmp_path: Path) -> None:
    pytest.importorskip("observatory._decorators")
    done = _demo(tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert (tmp_path / "observatory.db").exists()
    for needle in (
        "support_agent",
        "plan",
        "lookup_order",
        "write_answer",
        "issue_refund",
        "error",
        "ValueError",
        "saved: True",
        "positive",
        "Thread demo-",
        "5 runs and 2 messages",
        "observatory serve --db",
        "http://127.0.0.1:8787/runs/",
        "http://127.0.0.1:8787/threads/demo-",
    ):
        assert needle in out, needle
    assert "$0.007094" in out  # subtree cost: 412/96 tokens of gpt-4o-mini + 1830/240 of gpt-4o


def test_demo_works_when_the_store_has_keys(tmp_path: Path) -> None:
    pytest.importorskip("observatory._decorators")
    db_url = f"sqlite:///{tmp_path / 'keyed.db'}"
    cli("keys", "create", "--project", "ops", "--db", db_url)
    done = _demo(tmp_path, "--db", db_url)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "5 runs and 2 messages" in done.stdout
    listed = cli("keys", "list", "--db", db_url).stdout
    assert "demo" in listed and "revoked" in listed  # the demo's temporary key
