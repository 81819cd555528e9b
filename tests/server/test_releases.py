"""Releases on every run: the SDK stamps them, the receiver stores, filters and lists them."""

from __future__ import annotations

from typing import Any

import observatory
from observatory._config import from_env
from observatory.testing import capture_events

from .conftest import Server, ts, uid


def test_release_comes_from_init_or_the_environment() -> None:
    assert from_env(environ={}).release is None
    assert from_env(environ={"OBSERVATORY_RELEASE": "v1.2"}).release == "v1.2"
    assert (
        from_env({"release": "abc123"}, environ={"OBSERVATORY_RELEASE": "v1.2"}).release == "abc123"
    )


def test_a_release_the_receiver_would_refuse_is_never_sent() -> None:
    # an unset CI variable expands to "": no release, rather than every event refused
    assert from_env(environ={"OBSERVATORY_RELEASE": "  "}).release is None
    assert from_env({"release": 42}, environ={}).release == "42"
    assert from_env({"release": "x" * 250}, environ={}).release == "x" * 200


def test_every_event_carries_the_release() -> None:
    @observatory.agent
    def answer(q: str) -> str:
        observatory.track_event("thought", text="hm")
        return q

    with capture_events(release="git-9f2c1a") as events:
        answer("hi")
    assert {e["name"] for e in events} == {"agent_start", "agent_end", "thought"}
    assert all(e["release"] == "git-9f2c1a" for e in events)
    with capture_events() as plain:
        answer("hi")
    assert all("release" not in e for e in plain)


def _run(run_id: str, release: str | None, second: float, **fields: Any) -> dict[str, Any]:
    event = {"name": "agent", "run_id": run_id, "timestamp": ts(second), "latency_s": 0.5}
    event["metadata"] = {"agent": fields.pop("agent", "bot")}
    if release is not None:
        event["release"] = release
    return {**event, **fields}


def test_runs_store_filter_and_list_releases(server: Server) -> None:
    a1, a2, b1, none, child = uid("a"), uid("a"), uid("b"), uid("n"), uid("c")
    server.report(
        [
            _run(a1, "v1", 1),
            _run(a2, "v1", 5),
            _run(b1, "v2", 3, agent="other"),
            _run(none, None, 4),
            {
                "name": "llm",
                "run_id": child,
                "parent_run_id": a1,
                "release": "v1",
                "timestamp": ts(2),
            },
        ]
    )
    assert server.run(a1)["release"] == "v1" and server.run(none)["release"] is None
    assert {r["run_id"] for r in server.runs(release="v1")} == {a1, a2, child}
    assert [r["run_id"] for r in server.runs(release="v2")] == [b1]
    listed = server.client.get("/api/releases").json()["releases"]
    by_key = {(x["release"], x["agent"]): x for x in listed}
    v1 = by_key[("v1", "bot")]
    assert (v1["runs"], v1["root_runs"]) == (2, 2)
    assert (
        v1["first_seen"] == "2026-05-29T08:00:00.500Z"
        and v1["last_seen"] == "2026-05-29T08:00:04.500Z"
    )
    assert by_key[("v2", "other")]["runs"] == 1
    assert ("v1", None) in by_key and by_key[("v1", None)]["root_runs"] == 0
    assert listed[0]["release"] == "v1"  # most recently seen first


def test_bad_release_is_rejected_alone(server: Server) -> None:
    good = uid()
    answer = server.report([_run(uid(), "x" * 201, 1), _run(good, "ok", 2), _run(uid(), "", 3)])
    assert answer["accepted"] == 1 and [r["index"] for r in answer["rejected"]] == [0, 2]
    assert "release" in answer["rejected"][0]["error"]


def test_integrations_carry_the_release() -> None:
    """The LangChain mapper's runs go through the same encoder: they carry it too."""
    import pytest

    pytest.importorskip("langchain_core")
    from langchain_core.runnables import RunnableLambda

    from observatory.integrations.langchain import ObservatoryCallbackHandler

    chain = RunnableLambda(lambda q: q.upper(), name="shout") | RunnableLambda(
        lambda s: s + "!", name="bang"
    )
    with capture_events(release="lc-7") as events:
        assert chain.invoke("hi", config={"callbacks": [ObservatoryCallbackHandler()]}) == "HI!"
    assert len(events) >= 4 and all(e.get("release") == "lc-7" for e in events)
