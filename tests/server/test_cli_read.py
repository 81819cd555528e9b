"""`observatory runs ...`, `observatory threads ...`, `observatory --version` against a real receiver."""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from observatory.server import queries
from observatory.server.cli import build_parser
from observatory.server.cli_read import FILTER_OPTIONS
from observatory.server.runner import free_port

from .conftest import Server, cli, ts, uid


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )


def _deep_tree(server: Server) -> dict[str, str]:
    """agent → llm → tool (failed), all tagged; plus a two-message thread with feedback."""
    ids = {k: uid(k) for k in ("tag", "root", "llm", "tool", "thread")}
    meta = {"tags": [ids["tag"]]}
    server.report([
        {"name": "agent_start", "run_id": ids["root"], "timestamp": ts(1), "metadata": meta},
        {"name": "llm", "run_id": ids["llm"], "parent_run_id": ids["root"], "timestamp": ts(2),
         "model": "gpt-4o-mini", "prompt_tokens": 1200, "completion_tokens": 300, "metadata": meta},
        {"name": "tool_start", "run_id": ids["tool"], "parent_run_id": ids["llm"],
         "timestamp": ts(3), "metadata": meta},
        {"name": "tool_error", "run_id": ids["tool"], "timestamp": ts(4),
         "error": {"message": "search timed out"}},
        {"name": "agent_end", "run_id": ids["root"], "timestamp": ts(6), "output": "ok"},
        {"name": "chat", "thread_id": ids["thread"], "role": "user", "content": "weather?",
         "timestamp": ts(1)},
        {"name": "chat", "thread_id": ids["thread"], "role": "assistant", "message_id": ids["thread"] + "-a",
         "content": "Sunny, 21°C.", "timestamp": ts(5)},
        {"name": "feedback", "message_id": ids["thread"] + "-a", "rating": "positive", "comment": "nice"},
    ])
    return ids


def test_version() -> None:
    assert cli("--version").stdout.strip() == "observatory 0.1.0"


def test_every_receiver_filter_is_an_option() -> None:
    assert {key.rstrip("_") for _, key, _ in FILTER_OPTIONS} == set(queries.FILTERS)


def test_every_new_subcommand_and_option_has_help() -> None:
    parser = build_parser()
    top = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for group in ("runs", "threads"):
        assert any(c.dest == group and c.help for c in top._choices_actions)
        inner = next(a for a in top.choices[group]._actions
                     if isinstance(a, argparse._SubParsersAction))
        for choice in inner._choices_actions:
            assert choice.help, choice.dest
        for name, sub in inner.choices.items():
            for action in sub._actions:
                assert action.help, f"{group} {name} {action.dest}"


def test_runs_list_table_json_and_limit(shared_server: Server) -> None:
    ids = _deep_tree(shared_server)
    out = cli("runs", "list", "--tag", ids["tag"], "--url", shared_server.url).stdout
    for text in ("time (UTC)", "latency", "tokens", "cost (USD)", ids["root"], ids["tool"], "1,500",
                 "2026-05-29 08:00:01", "error"):
        assert text in out
    rows = json.loads(cli("runs", "list", "--tag", ids["tag"], "--json", "--url", shared_server.url).stdout)
    assert [r["run_id"] for r in rows] == [ids["tool"], ids["llm"], ids["root"]]
    two = cli("runs", "list", "--tag", ids["tag"], "--limit", "2", "--json", "--type", "llm",
              "--url", shared_server.url).stdout
    assert [r["run_id"] for r in json.loads(two)] == [ids["llm"]]


def test_runs_show_draws_the_whole_tree(shared_server: Server) -> None:
    ids = _deep_tree(shared_server)
    out = cli("runs", "show", ids["root"], "--url", shared_server.url).stdout
    lines = out.splitlines()
    assert lines[0].startswith("agent") and "success" in lines[0] and "5.00s" in lines[0]
    assert "llm" in lines[1] and "1,500 tokens" in lines[1] and "gpt-4o-mini" in lines[1]
    assert "tool" in lines[2] and "error" in lines[2] and "search timed out" in lines[2]
    assert lines[2].index("tool") > lines[1].index("llm")  # nested one level deeper
    detail = json.loads(cli("runs", "show", ids["root"], "--json", "--url", shared_server.url).stdout)
    assert detail["children"][0]["run_id"] == ids["llm"]


def test_runs_export_to_stdout_and_file(shared_server: Server, tmp_path: Path) -> None:
    ids = _deep_tree(shared_server)
    piped = cli("runs", "export", "--tag", ids["tag"], "--url", shared_server.url)
    assert [json.loads(line)["run_id"] for line in piped.stdout.splitlines()] == [
        ids["tool"], ids["llm"], ids["root"]
    ]
    assert piped.stderr == ""  # nothing extra when piped
    path = tmp_path / "out.ndjson"
    done = cli("runs", "export", "--tag", ids["tag"], "-o", str(path), "--url", shared_server.url)
    assert done.stdout == "" and len(path.read_text().splitlines()) == 3


def test_threads_list_and_show(shared_server: Server) -> None:
    ids = _deep_tree(shared_server)
    out = cli("threads", "list", "--limit", "1000", "--url", shared_server.url).stdout
    assert ids["thread"] in out and "messages" in out
    shown = cli("threads", "show", ids["thread"], "--url", shared_server.url).stdout
    lines = shown.splitlines()
    assert lines[0].startswith("user") and "weather?" in lines[1]
    assert lines[2].startswith("assistant") and "positive: nice" in lines[2]
    assert "Sunny, 21°C." in lines[3]
    listed = json.loads(cli("threads", "list", "--json", "--url", shared_server.url).stdout)
    assert all("thread_id" in t for t in listed)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["runs", "list", "--limit", "0"], "--limit: expected a whole number"),
        (["runs", "list", "--from", "yesterday"], "--from: expected an ISO-8601 time"),
        (["runs", "list", "--status", "nope"], "--status: invalid choice"),
        (["runs", "export", "--min-cost", "-1"], "--min-cost: expected a non-negative number"),
        (["runs", "tail", "--interval", "0"], "--interval: expected a number of seconds"),
        (["threads", "list", "--limit", "many"], "--limit: expected a whole number"),
        (["runs", "list", "--min-cost", "2", "--max-cost", "1"], "min_cost is after max_cost"),
        (["runs", "list", "--url", "localhost:1"], "api_url must start with http"),
    ],
)
def test_a_bad_value_is_one_line_and_exit_code_2(
    shared_server: Server, args: list[str], expected: str
) -> None:
    url = [] if "--url" in args else ["--url", shared_server.url]
    done = _cli(*args, *url)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_unknown_run_and_unreachable_receiver_are_one_line_exit_1(shared_server: Server) -> None:
    missing = _cli("runs", "show", "nope", "--url", shared_server.url)
    assert missing.returncode == 1 and missing.stderr.strip() == "observatory runs show: no run 'nope'"
    down = _cli("threads", "list", "--url", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and "cannot reach the receiver" in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1


def test_url_and_key_flags_win_over_the_environment(server: Server) -> None:
    key = server.create_key("acme")
    env = {"OBSERVATORY_API_URL": server.url, "OBSERVATORY_API_KEY": "obs_wrong"}
    refused = _cli("runs", "list", env=env)
    assert refused.returncode == 2 and "unknown API key" in refused.stderr
    assert _cli("runs", "list", "--key", key, env=env).returncode == 0
    env = {"OBSERVATORY_API_URL": f"http://127.0.0.1:{free_port()}", "OBSERVATORY_API_KEY": key}
    assert _cli("runs", "list", env=env).returncode == 1
    assert _cli("runs", "list", "--url", server.url, env=env).returncode == 0


def _lines(stream: object) -> queue.Queue[str]:
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return found


def test_tail_flows_when_piped_and_ctrl_c_ends_it_without_traceback(shared_server: Server) -> None:
    tag = uid("tail")
    shared_server.report([{"name": "tool", "run_id": uid("old"), "tags": [tag]}])
    proc = subprocess.Popen(
        [sys.executable, "-m", "observatory.server.cli", "runs", "tail", "--tag", tag,
         "--interval", "0.2", "--last", "5", "--json", "--url", shared_server.url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        out = _lines(proc.stdout)
        first = json.loads(out.get(timeout=30))
        assert first["run_id"].startswith("old")
        new = uid("new")
        shared_server.report([{"name": "llm", "run_id": new, "tags": [tag]}])
        assert json.loads(out.get(timeout=30))["run_id"] == new  # arrives while still running
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        assert proc.stderr is not None and proc.stderr.read() == ""
        assert out.empty()  # nothing printed twice
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
