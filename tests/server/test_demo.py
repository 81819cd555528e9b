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
    assert "curl 'http://127.0.0.1:8787/api/run/?app_id=demo&status=error'" in out  # no keys: no header


def test_demo_works_when_the_store_has_keys(tmp_path: Path) -> None:
    pytest.importorskip("observatory._decorators")
    db_url = f"sqlite:///{tmp_path / 'keyed.db'}"
    cli("keys", "create", "--project", "ops", "--db", db_url)
    done = _demo(tmp_path, "--db", db_url)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "5 runs and 2 messages" in done.stdout
    # reads need a key too: the follow-up hint says so (naming the variable, not a secret)
    assert """curl -H "Authorization: Bearer $OBSERVATORY_API_KEY" 'http://127.0.0.1:8787/api/run/""" in done.stdout
    listed = cli("keys", "list", "--db", db_url).stdout
    assert "demo" in listed and "revoked" in listed  # the demo's temporary key


def test_a_second_demo_says_what_the_store_holds(tmp_path: Path) -> None:
    pytest.importorskip("observatory._decorators")
    assert _demo(tmp_path).returncode == 0
    second = _demo(tmp_path)
    assert second.returncode == 0, second.stderr + second.stdout
    assert "This demo stored 5 runs and 2 messages" in second.stdout
    assert "now holds 10 runs in all" in second.stdout


def test_the_demo_leaves_no_untracked_file_in_a_checkout(tmp_path: Path) -> None:
    pytest.importorskip("observatory._decorators")
    assert _demo(tmp_path).returncode == 0
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "observatory.db-writer.lock" in left  # next to the store, shared by its writers
    repo = Path(__file__).resolve().parents[2]
    if not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    for name in left:
        ignored = subprocess.run(
            ["git", "-C", str(repo), "check-ignore", "-q", "--no-index", name],
            capture_output=True,
            timeout=30,
        )
        assert ignored.returncode == 0, f"{name} would show up in `git status`"


def test_demo_works_when_every_key_is_revoked(tmp_path: Path) -> None:
    pytest.importorskip("observatory._decorators")
    db_url = f"sqlite:///{tmp_path / 'closed.db'}"
    cli("keys", "create", "--project", "ops", "--db", db_url)
    cli("keys", "revoke", "1", "--db", db_url)  # the API stays closed: the demo needs a key
    done = _demo(tmp_path, "--db", db_url)
    assert done.returncode == 0, done.stderr + done.stdout
