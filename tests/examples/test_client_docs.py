"""docs/client.md stays true: its notebook blocks and its CI script run against a real receiver."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from observatory.server.runner import run_server

from .test_examples import ROOT, Receiver, ok, run_program

DOC = ROOT / "docs" / "client.md"


def blocks(marker: str) -> list[str]:
    """The python blocks of docs/client.md marked ``<!-- client:MARKER -->``."""
    text = DOC.read_text()
    return re.findall(rf"<!-- client:{re.escape(marker)} -->\n```python\n(.*?)```", text, re.S)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    """A receiver holding what the walkthrough reads: an agent tree, an error, a thread."""
    db_url = "sqlite:///" + str(tmp_path_factory.mktemp("client-doc") / "obs.db")
    url, stop = run_server(db_url)
    root = uuid.uuid4().hex
    events = [
        {"name": "agent_start", "run_id": root, "metadata": {"agent": "support-bot"}},
        {"name": "llm", "run_id": uuid.uuid4().hex, "parent_run_id": root, "model": "gpt-4o-mini",
         "prompt_tokens": 900, "completion_tokens": 120},
        {"name": "tool", "run_id": uuid.uuid4().hex, "parent_run_id": root, "status": "error",
         "error": {"message": "search timed out"}},
        {"name": "agent_end", "run_id": root, "output": "Here is your refund."},
        {"name": "chat", "thread_id": "support-42", "role": "user", "content": "Refund please"},
        {"name": "chat", "thread_id": "support-42", "role": "assistant", "content": "Done."},
    ]
    httpx.post(url + "/api/report", json={"events": events}, timeout=10).raise_for_status()
    try:
        yield Receiver(url, db_url)
    finally:
        stop()


def test_the_walkthrough_runs_in_order(receiver: Receiver, tmp_path: Path) -> None:
    code = blocks("run")
    assert len(code) >= 7, "the notebook blocks are marked for this test"
    program = tmp_path / "walkthrough.py"
    program.write_text("\n".join(code))
    out = ok(run_program([sys.executable, str(program)], receiver))
    assert out.startswith("ok\n")
    assert "support-bot" in out and "search timed out" in out
    assert "Refund please" in out and "[('negative', 'answered the wrong question')] True" in out
    assert "not found: no run 'no-such-run'" in out
    assert "422 from must be an ISO-8601 timestamp, got 'last tuesday'" in out
    assert "1 errors today" in out


def test_the_ci_check_passes_and_fails(receiver: Receiver, tmp_path: Path) -> None:
    (code,) = blocks("ci_check.py")
    script = tmp_path / "ci_check.py"
    script.write_text(code)
    assert re.search(r"^1 agent runs, 0\.0% errors, \$0\.00\n", ok(run_program(
        [sys.executable, str(script)], receiver)))
    httpx.post(receiver.url + "/api/report", json={"events": [
        {"name": "agent", "run_id": uuid.uuid4().hex, "status": "error"}]}, timeout=10)
    failed = run_program([sys.executable, str(script)], receiver)
    assert failed.returncode == 1 and "2 agent runs, 50.0% errors" in failed.stdout
