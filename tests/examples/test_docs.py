"""The docs stay true: the generated configuration table, the quickstart code, the links."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from observatory.server.runner import run_server

from .test_examples import ROOT, Receiver, ok, run_program

DOCS = ROOT / "docs"


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_gen_config", DOCS / "_gen_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_tables_match_the_config_dataclass() -> None:
    gen = load_generator()
    for path in (DOCS / "configuration.md", ROOT / "README.md"):
        current = path.read_text()
        assert gen.render(current) == current, f"{path.name} is stale: run python docs/_gen_config.py"


def test_configuration_table_lists_every_option_and_env_var() -> None:
    import dataclasses

    from observatory import _config

    text = (DOCS / "configuration.md").read_text()
    for field in dataclasses.fields(_config.Config):
        assert f"| `{field.name}` |" in text
        if field.name != "redact":
            assert f"`{_config.env_var(field.name)}`" in text


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    db_url = "sqlite:///" + str(tmp_path / "obs.db")
    url, stop = run_server(db_url)
    try:
        yield Receiver(url, db_url)
    finally:
        stop()


def test_quickstart_agent_shows_its_first_run_with_latency_and_cost(tmp_path: Path, receiver: Receiver) -> None:
    text = (DOCS / "quickstart.md").read_text()
    code = re.search(r"<!-- quickstart:my_agent\.py.*?-->\n```python\n(.*?)```", text, re.S)
    assert code, "the quickstart's my_agent.py block is marked for this test"
    (tmp_path / "my_agent.py").write_text(code.group(1))
    stdout = ok(run_program([sys.executable, str(tmp_path / "my_agent.py")], receiver))
    assert stdout.strip() == "Paris."
    (run,) = receiver.runs(agent="my-agent", type="agent")  # the query the quickstart shows
    assert run["status"] == "success" and run["latency_s"] is not None
    assert run["user_email"] == "you@example.com" and run["tags"] == ["quickstart"]
    assert run["subtree_cost"] > 0
    (llm,) = receiver.runs(agent="my-agent", type="llm")
    assert llm["cost"] > 0 and llm["cost_status"] == "ok" and llm["model"] == "gpt-4o-mini"


def test_relative_links_in_the_docs_resolve() -> None:
    broken = []
    for doc in [*sorted(DOCS.glob("*.md")), ROOT / "examples" / "README.md"]:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if re.match(r"[a-z]+://|mailto:|#", target):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                broken.append(f"{doc.name}: {target}")
    assert not broken, broken


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """CI must run exactly what a newcomer copies from the README, not a variant."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    block = readme.split("# 2. the whole test suite\n", 1)[1]
    command = block.splitlines()[0].strip()
    assert command.startswith("pip install"), command
    ci_lines = [line.strip() for line in (root / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_protocol_doc_follows_the_event_model() -> None:
    """docs/protocol.md shows the chat roles and the bounds that ``protocol.py`` defines."""
    from observatory import protocol

    text = (DOCS / "protocol.md").read_text()
    chat = next(line for line in text.splitlines() if line.startswith("- **`chat`**"))
    assert re.findall(r"`(\w+)`", chat.split("Needs `role`")[1].split("and `content`")[0]) == list(
        protocol.ROLES
    )
    assert f"{protocol.MAX_BATCH_EVENTS:,} events" in text
    assert f"nest at most {protocol.MAX_NESTING} levels" in text
    assert protocol.TRUNCATION_MARKER in text
    assert protocol.MAX_TOKENS == 10**12 and "0 … 10¹²" in text
    assert f"{protocol.MAX_LATENCY_S:,.0f} (ten years)" in text
    for field in ("cached_tokens", "latency_s", "tags", "user_email", "run_name"):
        assert f"`{field}`" in text and field in protocol.Event.model_fields
