"""Every example and emitter, run as a user would run it, against a real receiver.

Each program runs as a subprocess with only ``OBSERVATORY_API_URL`` (and, for the keyed
receiver, ``OBSERVATORY_API_KEY``) set; then the test reads over HTTP what arrived: runs with
status, latency and cost, threads, feedback, saved runs. An example that rots fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from observatory.server.runner import run_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EMITTERS = EXAMPLES / "emitters"
RUN_TIMEOUT = 60.0  # seconds any one program may take before the test fails

PYTHON_EXAMPLES = [
    "decorated_agent.py",
    "short_lived_script.py",
    "serverless_handler.py",
    "receiver_down.py",
    "custom_events.py",
]
INTEGRATION_EXAMPLES = {  # written and tested by the integrations' owner; run here when present
    "langchain_agent.py": "langchain_core",
    "temporal_worker.py": "temporalio",
    "openai_agents_run.py": "agents",
}
EMITTER_COMMANDS: dict[str, tuple[str, list[str]]] = {  # name -> (tool it needs, command)
    "curl_jq.sh": ("jq", ["bash", str(EMITTERS / "curl_jq.sh")]),
    "curl_only.sh": ("curl", ["bash", str(EMITTERS / "curl_only.sh")]),
    "node_emit.mjs": ("node", ["node", str(EMITTERS / "node_emit.mjs")]),
}


@dataclass
class Receiver:
    """A running receiver; ``key`` is sent on every read when set."""

    url: str
    db_url: str
    key: str | None = None

    def get(self, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        answer = httpx.get(self.url + path, params=params, headers=headers, timeout=10.0)
        assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def run(self, run_id: str) -> dict[str, Any]:
        return self.get(f"/api/run/{run_id}")  # type: ignore[no-any-return]

    def runs(self, **filters: Any) -> list[dict[str, Any]]:
        return self.get("/api/run/", limit=1000, **filters)["runs"]  # type: ignore[no-any-return]


def run_program(
    command: list[str], receiver: Receiver | None, key: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run an example the way a user would: only the documented variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
    if receiver is not None:
        clean["OBSERVATORY_API_URL"] = receiver.url
    key = key if key is not None else (receiver.key if receiver else None)
    if key:
        clean["OBSERVATORY_API_KEY"] = key
    clean.update(env)
    return subprocess.run(
        command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )


def python_example(name: str) -> list[str]:
    return [sys.executable, str(EXAMPLES / name)]


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def printed(stdout: str, name: str) -> list[str]:
    """Values of ``name=value`` lines an example printed."""
    return re.findall(rf"^{name}=(\S+)", stdout, re.M)


def create_key(db_url: str, project: str) -> str:
    """A key made with the CLI, as the docs tell users to (printed on the last line)."""
    done = subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", "keys", "create", "--project", project, "--db", db_url],
        capture_output=True, text=True, timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """No API keys: the loopback-only default a new user starts with."""
    db_url = "sqlite:///" + str(tmp_path_factory.mktemp("open") / "obs.db")
    url, stop = run_server(db_url)
    try:
        yield Receiver(url, db_url)
    finally:
        stop()


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """A receiver with API keys: project "examples" (ours) and "other" (owns app "other")."""
    db_url = "sqlite:///" + str(tmp_path_factory.mktemp("keyed") / "obs.db")
    key = create_key(db_url, "examples")
    create_key(db_url, "other")
    url, stop = run_server(db_url)
    try:
        yield Receiver(url, db_url, key)
    finally:
        stop()


def assert_priced_tree(rx: Receiver, run_id: str, agent: str) -> dict[str, Any]:
    """The agent run arrived complete, with latency and a cost from its priced llm child."""
    run = rx.run(run_id)
    assert (run["type"], run["name"], run["status"]) == ("agent", agent, "success")
    assert run["latency_s"] is not None and run["latency_s"] > 0
    llms = [c for c in run["children"] if c["type"] == "llm"]
    assert llms, run["children"]
    for llm in llms:
        assert llm["status"] == "success" and llm["cost_status"] == "ok", llm
        assert llm["cost"] > 0 and llm["model"] and llm["prompt_tokens"] and llm["completion_tokens"]
    assert run["subtree_cost"] == pytest.approx(sum(c["subtree_cost"] for c in run["children"]))
    return run


# -- Python examples -----------------------------------------------------------------


def test_decorated_agent_with_an_api_key(keyed: Receiver) -> None:
    ok(run_program(python_example("decorated_agent.py"), keyed))
    runs = keyed.runs(user_email="ada@example.com")
    by_name = {r["name"]: r for r in runs}
    assert {"support-agent", "research_agent", "complete", "summarize", "search_docs", "flaky_lookup"} <= set(by_name)
    support = assert_priced_tree(keyed, by_name["support-agent"]["run_id"], "support-agent")
    assert {"example", "docs-demo"} <= set(support["tags"])
    failed = by_name["flaky_lookup"]
    assert failed["status"] == "error" and failed["error"]["type"] == "TimeoutError"
    research = assert_priced_tree(keyed, by_name["research_agent"]["run_id"], "research_agent")
    assert len(research["children"]) == 2  # asyncio.gather siblings, both nested
    # the key's project is isolated: without the key the receiver refuses to answer
    assert httpx.get(keyed.url + "/api/run/", timeout=10).status_code == 401


def test_short_lived_script_delivers_with_flush_and_with_the_exit_hook(receiver: Receiver) -> None:
    stdout = ok(run_program(python_example("short_lived_script.py"), receiver))
    assert "flush(timeout=5.0) -> True" in stdout
    first, second = printed(stdout, "run_id")  # second: delivered by the exit hook alone
    for run_id in (first, second):
        assert_priced_tree(receiver, run_id, "nightly-report")


def test_serverless_handler_delivers_before_returning(receiver: Receiver) -> None:
    stdout = ok(run_program(python_example("serverless_handler.py"), receiver))
    assert "delivered before returning: True" in stdout
    run_ids = printed(stdout, "run_id")
    assert len(run_ids) == 3  # the script ends with os._exit(0): no exit hook ran
    for run_id in run_ids:
        assert_priced_tree(receiver, run_id, "ticket-router")


def test_receiver_down_exits_promptly_and_logs_the_dropped_count() -> None:
    started = time.monotonic()
    done = run_program(python_example("receiver_down.py"), None)
    elapsed = time.monotonic() - started
    ok(done)
    assert elapsed < 10.0, f"took {elapsed:.1f}s"  # flush(1 s) + shutdown_timeout (1 s) + start-up
    assert "flush(timeout=1.0) -> False" in done.stdout
    dropped = re.search(r"observatory: (\d+) events could not be delivered to http://127\.0\.0\.1:\d+ at shutdown", done.stderr)
    assert dropped, done.stderr
    assert int(dropped.group(1)) == 16, done.stderr  # 4 agent + 4 tool runs, start and end


def test_custom_events_thread_feedback_and_saved(receiver: Receiver) -> None:
    stdout = ok(run_program(python_example("custom_events.py"), receiver))
    (thread_id,), (run_id,) = printed(stdout, "thread_id"), printed(stdout, "run_id")

    run = assert_priced_tree(receiver, run_id, "support-chat")
    assert run["saved"] is True
    assert [(f["rating"], f["comment"]) for f in run["feedback"]] == [("positive", "solved it")]
    assert run["user_email"] == "grace@example.com"

    summary = [t for t in receiver.get("/api/threads")["threads"] if t["thread_id"] == thread_id]
    assert summary and summary[0]["message_count"] == 4 and summary[0]["agent"] == "support-chat"
    messages = receiver.get(f"/api/threads/{thread_id}")["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[3]["run_id"] == run_id  # chat inside a run is linked to it
    rated = {m["message_id"]: m["feedback"] for m in messages}
    assert [(f["rating"], f["comment"]) for f in rated[f"{thread_id}-1-assistant"]] == [("negative", "too terse")]
    assert sum(len(f) for f in rated.values()) == 1
    unsaved = [r for r in receiver.runs(agent="support-chat", type="agent") if r["run_id"] != run_id]
    assert unsaved and not any(r["saved"] for r in unsaved)


@pytest.mark.parametrize("name", sorted(INTEGRATION_EXAMPLES))
def test_integration_example(name: str, receiver: Receiver) -> None:
    if not (EXAMPLES / name).exists():
        pytest.skip(f"examples/{name} is not written yet")
    pytest.importorskip(INTEGRATION_EXAMPLES[name])
    before = len(receiver.runs())
    ok(run_program(python_example(name), receiver))
    assert len(receiver.runs()) > before


# -- non-Python emitters ----------------------------------------------------------------


def emitter(name: str) -> list[str]:
    tool, command = EMITTER_COMMANDS[name]
    for needed in {tool, command[0], "curl"}:
        if shutil.which(needed) is None:
            pytest.skip(f"{needed} is not installed")
    return command


@pytest.mark.parametrize("with_key", [False, True], ids=["loopback", "bearer"])
@pytest.mark.parametrize("name", sorted(EMITTER_COMMANDS))
def test_emitter_reports_a_priced_run(name: str, with_key: bool, receiver: Receiver, keyed: Receiver) -> None:
    rx = keyed if with_key else receiver
    stdout = ok(run_program(emitter(name), rx))
    (run_id,) = printed(stdout, "run_id")
    run = assert_priced_tree(rx, run_id, {"curl_jq.sh": "shell-agent", "curl_only.sh": "curl-agent", "node_emit.mjs": "node-agent"}[name])
    assert "example" in run["tags"]
    if name == "node_emit.mjs":
        assert {c["name"]: c["status"] for c in run["children"]} == {
            "fetch-policy": "success", "check-stock": "error", "compose-reply": "success"
        }
        (thread_id,) = printed(stdout, "thread_id")
        messages = rx.get(f"/api/threads/{thread_id}")["messages"]
        assert [(m["role"], m["run_id"]) for m in messages] == [("user", run_id), ("assistant", run_id)]


@pytest.mark.parametrize("with_key", [False, True], ids=["loopback", "bearer"])
@pytest.mark.parametrize("name", sorted(EMITTER_COMMANDS))
def test_emitter_hint_reads_the_run_back(name: str, with_key: bool, receiver: Receiver, keyed: Receiver) -> None:
    # The printed `see it: curl ...` line, pasted into a shell with the same environment.
    rx = keyed if with_key else receiver
    stdout = ok(run_program(emitter(name), rx))
    (run_id,) = printed(stdout, "run_id")
    (hint,) = re.findall(r"^see it: (curl .+)$", stdout, re.M)
    if with_key:
        assert rx.key is not None and rx.key not in hint  # the variable's name, not the secret
    answer = ok(run_program(["bash", "-c", hint], rx))
    assert json.loads(answer)["run_id"] == run_id


@pytest.mark.parametrize("name", sorted(EMITTER_COMMANDS))
def test_emitter_fails_on_a_wrong_key(name: str, keyed: Receiver) -> None:
    done = run_program(emitter(name), keyed, key="obs_not-a-key")
    assert done.returncode != 0
    assert "401" in done.stderr and "unknown API key" in done.stderr


@pytest.mark.parametrize("name", ["curl_jq.sh", "node_emit.mjs"])
def test_emitter_fails_when_events_are_rejected(name: str, keyed: Receiver) -> None:
    # HTTP 200, but every event names an app of another project: {"rejected": [...]}
    done = run_program(emitter(name), keyed, OBSERVATORY_APP_ID="other")
    assert done.returncode != 0
    assert "rejected" in done.stderr and "belongs to another project" in done.stderr


def test_curl_only_fails_when_events_are_rejected(tmp_path: Path, receiver: Receiver) -> None:
    # curl_only.sh has no app id to spoil: corrupt its static body instead (a bad token count)
    script = (EMITTERS / "curl_only.sh").read_text().replace('"prompt_tokens": 410', '"prompt_tokens": -1')
    (tmp_path / "bad.sh").write_text(script)
    done = run_program(emitter("curl_only.sh")[:1] + [str(tmp_path / "bad.sh")], receiver)
    assert done.returncode != 0
    assert "rejected" in done.stderr and "prompt_tokens" in done.stderr


def test_emitters_exit_non_zero_when_the_receiver_is_unreachable() -> None:
    from observatory.server.runner import free_port

    closed = Receiver(f"http://127.0.0.1:{free_port()}", "")
    for name in EMITTER_COMMANDS:
        done = run_program(emitter(name), closed)
        assert done.returncode != 0, name


# -- every example is covered and says how to run it ---------------------------------------


def test_every_example_is_run_by_this_file() -> None:
    found = {p.name for p in EXAMPLES.glob("*.py")} | {p.name for p in EMITTERS.iterdir() if p.is_file()}
    covered = set(PYTHON_EXAMPLES) | set(INTEGRATION_EXAMPLES) | set(EMITTER_COMMANDS)
    assert found <= covered, f"add a test for {sorted(found - covered)}"


def test_the_examples_readme_lists_every_example() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    for path in sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".py", ".sh", ".mjs")):
        name = path.relative_to(EXAMPLES).as_posix()
        assert f"[`{name}`]({name})" in readme, f"examples/README.md does not list {name}"


@pytest.mark.parametrize("path", sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".py", ".sh", ".mjs")), ids=lambda p: p.name)
def test_every_example_says_what_it_shows_and_how_to_run_it(path: Path) -> None:
    head = "\n".join(path.read_text().splitlines()[:30])
    assert f"examples/{path.relative_to(EXAMPLES).as_posix()}" in head, "the header must show the command"
    assert "OBSERVATORY_API_URL" in head or path.name == "receiver_down.py"
