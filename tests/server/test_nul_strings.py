"""U+0000 in strings: PostgreSQL's text type refuses it, SQLite keeps it. The receiver
stores U+FFFD in its place on both stores, and reads that name one answer with a
clear 4xx or no match, never a 500."""

from __future__ import annotations

import pytest

from .conftest import Server, uid

NUL, REPLACED = "\x00", "\ufffd"


def test_nul_in_any_string_is_stored_as_u_fffd_and_the_batch_is_kept(server: Server) -> None:
    root = uid("nul") + NUL
    clean = root.replace(NUL, REPLACED)
    thread = uid("thread") + NUL
    answer = server.report(
        [
            {
                "name": "llm_start",
                "run_id": root,
                "model": f"gpt{NUL}-4o",
                "user_email": f"a{NUL}@example.com",
                "tags": [f"t{NUL}"],
                "input": {f"k{NUL}": [f"v{NUL}"]},
                "metadata": {"note": NUL, "agent": f"agent{NUL}"},
                "event_id": uid("e") + NUL,
            },
            {"name": "llm_end", "run_id": root, "output": f"done{NUL}", "prompt_tokens": 3},
            {
                "name": "chat",
                "thread_id": thread,
                "role": "user",
                "content": f"hi{NUL}there",
                "parent_run_id": root,
            },
            {"name": "feedback", "run_id": root, "rating": "positive", "comment": f"ok{NUL}"},
            {"name": "custom", "run_id": root, "data": NUL},
        ]
    )
    assert answer["accepted"] == 5 and answer["rejected"] == [], answer

    run = server.run(clean)
    assert run["run_id"] == clean
    assert run["model"] == f"gpt{REPLACED}-4o"
    assert run["agent"] == f"agent{REPLACED}"
    assert run["tags"] == [f"t{REPLACED}"]
    assert run["input"] == {f"k{REPLACED}": [f"v{REPLACED}"]}
    assert run["output"] == f"done{REPLACED}"
    assert all(NUL not in str(ev) for ev in run["events"])
    assert [r["run_id"] for r in server.runs(model=f"gpt{REPLACED}-4o")] == [clean]

    messages = server.client.get(f"/api/threads/{thread.replace(NUL, REPLACED)}")
    assert messages.status_code == 200, messages.text
    assert [m["content"] for m in messages.json()["messages"]] == [f"hi{REPLACED}there"]


def test_a_literal_backslash_u0000_is_kept_as_written(server: Server) -> None:
    rid = uid("lit")
    server.report([{"name": "tool", "run_id": rid, "input": "\\u0000 is how JSON writes NUL"}])
    assert server.run(rid)["input"] == "\\u0000 is how JSON writes NUL"


@pytest.mark.parametrize(
    "path",
    [
        "/api/run/?model=a%00b",
        "/api/run/?agent=%00",
        "/api/run/?user_email=%00&release=%00",
        "/api/run/a%00b",
        "/api/trace/a%00b",
        "/api/threads/a%00b",
        "/api/threads?agent=%00",
        "/api/costs/a%00b",
    ],
)
def test_nul_in_a_read_is_never_a_server_error(server: Server, path: str) -> None:
    resp = server.client.get(path)
    assert resp.status_code < 500, resp.text


def test_nul_in_a_change_is_stored_as_u_fffd(server: Server) -> None:
    ref = uid("ref") + NUL
    resp = server.client.post(
        "/api/changes", json={"kind": "code", "ref": ref, "summary": f"a{NUL}b"}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["ref"] == ref.replace(NUL, REPLACED)
    assert resp.json()["summary"] == f"a{REPLACED}b"


def test_a_price_for_a_model_with_nul_is_stored_as_u_fffd(server: Server) -> None:
    body = {"input": 1.0, "output": 2.0}
    resp = server.client.put("/api/costs/nul%00model", json=body)
    assert resp.status_code == 200, resp.text
    assert server.client.get(f"/api/costs/nul{REPLACED}model").json()["input"] == 1.0
