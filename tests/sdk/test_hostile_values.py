"""Deep and huge values go through the SDK to the real receiver without costing their batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import observatory
from observatory import _state
from observatory._limits import MAX_DEPTH
from observatory._plain import TRUNCATION_MARKER
from observatory.server.runner import run_server


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[str]:
    url, stop = run_server(f"sqlite:///{tmp_path / 'obs.db'}")
    try:
        yield url
    finally:
        stop()


def nested(levels: int) -> list[object]:
    value: list[object] = []
    for _ in range(levels):
        value = [value]
    return value


def test_one_hostile_value_never_costs_the_other_events_of_its_batch(receiver: str) -> None:
    # One batch (batch_size is large, the interval long): 20 runs, 40 events, four of them hostile.
    observatory.init(api_url=receiver, app_id="hostile", flush_interval=60, max_retries=0)
    try:
        @observatory.tool
        def step(i: int, payload: object) -> object:
            return payload

        @observatory.llm
        def call(i: int) -> str:
            observatory.current_run().set_usage(model="gpt-4o-mini", prompt_tokens=10**20, completion_tokens=3)
            return "ok"

        hostile = {3: nested(5000), 7: 10**5000, 11: [float("nan"), float("inf")], 13: {"n": 2**64}}
        for i in range(19):
            step(i, hostile.get(i, "fine"))
        call(19)
        assert observatory.flush(15), observatory.stats()
        stats = observatory.stats()
        assert stats["sent"] == 40 and stats["dropped"] == {} and stats["requests"] == 1
    finally:
        observatory.shutdown(timeout=2)
        _state._clear()

    with httpx.Client(base_url=receiver, timeout=10) as client:
        listing = client.get("/api/run/", params={"app_id": "hostile", "limit": 100})
        assert listing.status_code == 200, listing.text
        runs = listing.json()["runs"]
        assert len(runs) == 20
        for run in runs:  # and every run's detail reads back
            detail = client.get(f"/api/run/{run['run_id']}")
            assert detail.status_code == 200, detail.text
    steps = {r["input"]["i"]: r for r in runs if r["name"] == "step"}
    assert steps[7]["output"] == "<int of 16610 bits>"
    assert steps[11]["output"] == [None, None]
    assert steps[13]["output"] == {"n": str(2**64)}
    deep = steps[3]["input"]["payload"]
    for _ in range(MAX_DEPTH - 1):  # MAX_DEPTH levels kept: the input dict, then the lists
        deep = deep[0]
    assert deep == {TRUNCATION_MARKER: True, "reason": "max_depth", "max_depth": MAX_DEPTH, "type": "list"}
    (llm,) = [r for r in runs if r["name"] == "call"]
    assert (llm["prompt_tokens"], llm["completion_tokens"]) == (None, 3)
