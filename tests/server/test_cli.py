"""The ``observatory`` command: keys, costs, retention, serve (incl. SIGKILL durability)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from observatory.server.cli import build_parser

from .conftest import Server, Subprocess, cli, uid


def _iso(days_ago: float) -> str:
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'k.db'}"
    created = cli("keys", "create", "--project", "acme", "--db", db_url)
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("obs_") and len(key) > 40
    listed = cli("keys", "list", "--db", db_url).stdout
    assert "acme" in listed and key[:12] in listed and key not in listed and "active" in listed
    cli("keys", "revoke", key[:12], "--db", db_url)
    assert "revoked" in cli("keys", "list", "--db", db_url).stdout
    missing = cli("keys", "revoke", "999", "--db", db_url, check=False)
    assert missing.returncode == 2 and "no key matches" in missing.stderr


def test_db_from_environment_and_global_flag(tmp_path: Path, monkeypatch: object) -> None:
    import os
    import subprocess
    import sys

    db_path = tmp_path / "env.db"
    env = {**os.environ, "OBSERVATORY_DB": f"sqlite:///{db_path}"}
    done = subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", "keys", "create", "--project", "p"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and db_path.exists()
    other = tmp_path / "flag.db"
    cli("--db", f"sqlite:///{other}", "keys", "list")
    assert other.exists()


def test_costs_cli_edits_are_seen_by_a_running_server(server: Server) -> None:
    listed = cli("costs", "list", "--filter", "gpt-4o-mini", "--db", server.db_url).stdout
    assert "gpt-4o-mini" in listed and "0.15" in listed
    rid = uid()
    server.report(
        [
            {
                "name": "llm_end",
                "run_id": rid,
                "model": "cli-model",
                "prompt_tokens": 1_000_000,
                "completion_tokens": 1_000_000,
            }
        ]
    )
    assert server.run(rid)["cost_status"] == "unknown_model"
    cli(
        "costs",
        "set",
        "cli-model",
        "--input",
        "1",
        "--output",
        "2",
        "--cached-input",
        "0.5",
        "--total",
        "1.5",
        "--db",
        server.db_url,
    )
    assert "1 runs changed" in cli("costs", "recalc", "--db", server.db_url).stdout
    assert server.run(rid)["cost"] == 3.0
    # the running server picked the new row up for new events too
    rid2 = uid()
    server.report(
        [{"name": "llm_end", "run_id": rid2, "model": "cli-model", "total_tokens": 1_000_000}]
    )
    assert server.run(rid2)["cost"] == 1.5
    cli("costs", "delete", "cli-model", "--db", server.db_url)
    gone = cli("costs", "delete", "cli-model", "--db", server.db_url, check=False)
    assert gone.returncode == 1
    bad = cli(
        "costs", "set", "x", "--input", "-1", "--output", "1", "--db", server.db_url, check=False
    )
    assert bad.returncode == 2 and "non-negative" in bad.stderr


def test_retention_deletes_old_unsaved_runs_and_keeps_saved_trees(server: Server) -> None:
    old, old_saved, old_child, recent = uid("old"), uid("saved"), uid("child"), uid("recent")
    server.report(
        [
            {"name": "agent_start", "run_id": old, "timestamp": _iso(60)},
            {
                "name": "chat",
                "role": "user",
                "content": "old",
                "parent_run_id": old,
                "timestamp": _iso(60),
            },
            {"name": "feedback", "run_id": old, "rating": "negative", "timestamp": _iso(60)},
            {"name": "agent_start", "run_id": old_saved, "timestamp": _iso(45)},
            {
                "name": "tool",
                "run_id": old_child,
                "parent_run_id": old_saved,
                "timestamp": _iso(45),
            },
            {"name": "saved", "run_id": old_saved},
            {"name": "agent_start", "run_id": recent, "timestamp": _iso(1)},
        ]
    )
    done = cli("retention", "--days", "30", "--db", server.db_url).stdout
    assert "deleted 1 runs" in done
    remaining = {r["run_id"] for r in server.runs()}
    assert old not in remaining
    assert {old_saved, old_child, recent} <= remaining
    assert server.client.get(f"/api/run/{old}").status_code == 404
    assert server.client.get("/api/threads").json()["threads"] == []
    assert server.run(old_saved)["saved"] is True


def test_sigkill_right_after_acknowledged_batches_loses_nothing(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'durable.db'}"
    proc = Subprocess(db_url)
    sent: list[str] = []
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            for batch in range(20):
                ids = [f"k{batch}-{i}" for i in range(100)]
                events = [{"name": "tool", "run_id": rid, "event_id": rid} for rid in ids]
                resp = client.post("/api/report", json={"events": events})
                assert resp.json()["accepted"] == 100
                sent += ids
    finally:
        proc.kill()  # SIGKILL, immediately after the last acknowledgement
    again = Subprocess(db_url)
    try:
        with httpx.Client(base_url=again.url, timeout=30) as client:
            stored: set[str] = set()
            cursor = None
            for _ in range(10):
                params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
                page = client.get("/api/run/", params=params).json()
                stored |= {r["run_id"] for r in page["runs"]}
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert stored == set(sent)
            resent = client.post(
                "/api/report",
                json={"events": [{"name": "tool", "run_id": sent[0], "event_id": sent[0]}]},
            )
            assert resent.json()["duplicates"] == 1
    finally:
        again.kill()


def test_parser_has_every_command() -> None:
    parser = build_parser()
    for argv in (
        ["serve", "--port", "1"],
        ["demo"],
        ["keys", "create", "--project", "p"],
        ["keys", "list"],
        ["keys", "revoke", "1"],
        ["costs", "list"],
        ["costs", "set", "m", "--input", "1", "--output", "2"],
        ["costs", "delete", "m"],
        ["costs", "recalc"],
        ["retention", "--days", "3"],
    ):
        args = parser.parse_args([*argv, "--db", "sqlite:///x.db"])
        assert args.db == "sqlite:///x.db"


def test_serve_refuses_bad_settings_with_a_message(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    for flags, expected in (
        (["--workers", "0"], "workers must be at least 1"),
        (["--max-body-bytes", "0"], "max_body_bytes must be positive"),
    ):
        done = cli("serve", "--db", db, *flags, check=False)
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr and "Traceback" not in done.stderr
