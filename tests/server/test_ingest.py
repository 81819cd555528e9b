"""POST /api/report: per-event results, duplicates, malformed bodies, gzip, limits."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import time
import zlib

import httpx
import pytest

from .conftest import Server, ts, uid


def _count_runs(server: Server) -> int:
    return len(server.runs())


def test_seed_curl_example_works_verbatim(server: Server) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    key = server.create_key("claims")
    body = """{"events": [{
    "name": "agent_start",
    "type": "agent",
    "run_id": "01HXYZ...",
    "timestamp": "2026-05-29T08:42:11.123Z",
    "input": {"prompt": "..."},
    "metadata": {"agent": "claims-approval"}
  }]}"""
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-X",
            "POST",
            f"{server.url}/api/report",
            "-H",
            f"Authorization: Bearer {key}",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(done.stdout) == {"accepted": 1, "duplicates": 0, "rejected": []}
    run = server.run("01HXYZ...", key=key)
    assert run["type"] == "agent" and run["agent"] == "claims-approval"
    assert run["name"] == "claims-approval" and run["status"] == "started"
    assert run["input"] == {"prompt": "..."}
    assert run["app_id"] == "claims"  # the key's project's default app
    assert run["start_time"] == "2026-05-29T08:42:11.123Z"


def test_bad_events_are_rejected_by_index_and_good_ones_kept(server: Server) -> None:
    good = uid()
    answer = server.report(
        [
            {"name": "tool_start", "run_id": good, "timestamp": ts(1)},
            "not an object",
            {"name": "llm_end"},  # no run_id
            {"name": "chat", "content": "hi"},  # no role
            {"name": "feedback", "run_id": good, "rating": "meh"},
            {"name": "tool_end", "run_id": good, "timestamp": "2026-05-29T08:00:00"},  # naive
            {"name": "llm", "type": "tool", "run_id": uid()},
            {"name": "tool_end", "run_id": good, "timestamp": ts(3), "prompt_tokens": -1},
            {
                "name": "tool_end",
                "run_id": good,
                "timestamp": ts(3),
                "tags": "ok",
                "metadata": {"tags": [1]},
            },
            {"name": "tool_end", "run_id": good, "timestamp": ts(3)},
        ]
    )
    assert answer["accepted"] == 2 and answer["duplicates"] == 0
    errors = {r["index"]: r["error"] for r in answer["rejected"]}
    assert sorted(errors) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "JSON object" in errors[1]
    assert "run_id" in errors[2]
    assert "role" in errors[3]
    assert "rating" in errors[4]
    assert "timezone" in errors[5]
    assert "does not match type" in errors[6]
    assert "prompt_tokens" in errors[7]
    assert "metadata.tags" in errors[8]
    run = server.run(good)
    assert run["status"] == "success" and run["latency_s"] == 2.0


def test_duplicate_event_ids_are_counted_and_ignored(server: Server) -> None:
    rid = uid()
    batch = [
        {
            "name": "llm_start",
            "run_id": rid,
            "event_id": rid + "-1",
            "timestamp": ts(1),
            "metadata": {"tags": ["a"]},
        },
        {
            "name": "llm_end",
            "run_id": rid,
            "event_id": rid + "-2",
            "timestamp": ts(2),
            "model": "gpt-4o",
            "prompt_tokens": 10,
            "completion_tokens": 5,
        },
    ]
    assert server.report(batch) == {"accepted": 2, "duplicates": 0, "rejected": []}
    first = server.run(rid)
    assert server.report(batch) == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert server.report(batch + batch[:1]) == {"accepted": 0, "duplicates": 3, "rejected": []}
    again = server.run(rid)
    assert again == first
    assert len(again["events"]) == 2
    # duplicates inside one batch
    other = uid()
    dup = {"name": "tool", "run_id": other, "event_id": other, "timestamp": ts(1)}
    assert server.report([dup, dup]) == {"accepted": 1, "duplicates": 1, "rejected": []}


def test_events_without_event_id_are_accepted(server: Server) -> None:
    rid = uid()
    answer = server.report([{"name": "agent", "run_id": rid}])
    assert answer["accepted"] == 1
    run = server.run(rid)
    assert run["status"] == "success" and run["start_time"] is not None


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "empty"),
        (b"[1, 2]", 400, "got an array"),
        (b'"events"', 400, "got a string"),
        (b'{"batch": []}', 400, 'no "events"'),
        (b'{"events": {"name": "x"}}', 400, '"events" must be a list, got an object'),
        (b'{"events": null}', 400, "got null"),
        (b"\xff\xfe{}", 400, "UTF-8"),
    ],
)
def test_malformed_bodies_get_400_with_a_message(
    shared_server: Server, body: bytes, status: int, needle: str
) -> None:
    resp = shared_server.client.post(
        "/api/report", content=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == status
    assert needle in resp.json()["detail"]


def test_store_is_unchanged_after_refused_bodies(server: Server) -> None:
    server.report([{"name": "tool", "run_id": uid()}])
    before = _count_runs(server)
    for body in (b"{", b"[]", b'{"events": 3}'):
        assert server.client.post("/api/report", content=body).status_code == 400
    assert _count_runs(server) == before


def test_gzip_bodies_are_accepted(server: Server) -> None:
    rid = uid()
    raw = json.dumps({"events": [{"name": "tool", "run_id": rid, "timestamp": ts(1)}]}).encode()
    resp = server.client.post(
        "/api/report",
        content=gzip.compress(raw),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert resp.status_code == 200 and resp.json()["accepted"] == 1
    deflated = json.dumps({"events": [{"name": "tool", "run_id": rid + "d"}]}).encode()
    resp = server.client.post(
        "/api/report", content=zlib.compress(deflated), headers={"Content-Encoding": "deflate"}
    )
    assert resp.status_code == 200 and resp.json()["accepted"] == 1
    server.run(rid)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"definitely not gzip", "not valid gzip"),
        (gzip.compress(b'{"events": []}')[:-12], "truncated"),
    ],
)
def test_bad_gzip_gets_400(shared_server: Server, content: bytes, needle: str) -> None:
    resp = shared_server.client.post(
        "/api/report", content=content, headers={"Content-Encoding": "gzip"}
    )
    assert resp.status_code == 400
    assert needle in resp.json()["detail"]


def test_unknown_content_encoding_gets_415(server: Server) -> None:
    resp = server.client.post("/api/report", content=b"{}", headers={"Content-Encoding": "br"})
    assert resp.status_code == 415 and "Content-Encoding" in resp.json()["detail"]


def test_oversized_body_gets_413(server: Server) -> None:
    big = b'{"events": [], "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    resp = server.client.post("/api/report", content=big)
    assert resp.status_code == 413 and "limit" in resp.json()["detail"]


def test_gzip_bomb_is_refused_while_inflating(server: Server) -> None:
    # 1 GiB of zeros as 64 concatenated gzip members (~1 MB); the receiver must stop at 5 MB.
    member = gzip.compress(bytes(16 * 1024 * 1024), compresslevel=9)
    bomb = member * 64
    assert len(bomb) < 5 * 1024 * 1024
    started = time.perf_counter()
    resp = server.client.post("/api/report", content=bomb, headers={"Content-Encoding": "gzip"})
    elapsed = time.perf_counter() - started
    assert resp.status_code == 413
    assert "after decompression" in resp.json()["detail"]
    assert elapsed < 2.0


def test_metrics_count_accepted_rejected_duplicates(server: Server) -> None:
    rid = uid()
    server.report([{"name": "tool", "run_id": rid, "event_id": rid}, {"name": "chat"}])
    server.report([{"name": "tool", "run_id": rid, "event_id": rid}])
    server.client.post("/api/report", content=b"nope")
    text = server.client.get("/metrics").text
    assert 'observatory_events_total{outcome="accepted"} 1' in text
    assert 'observatory_events_total{outcome="rejected"} 1' in text
    assert 'observatory_events_total{outcome="duplicate"} 1' in text
    assert 'observatory_batches_total{outcome="ok"} 2' in text
    assert 'observatory_batches_total{outcome="client_error"} 1' in text
    assert "observatory_runs 1" in text
    assert "observatory_ingest_seconds_count 3" in text


def test_run_type_cannot_change(server: Server) -> None:
    rid = uid()
    server.report([{"name": "llm_start", "run_id": rid}])
    answer = server.report([{"name": "tool_end", "run_id": rid}])
    assert answer["accepted"] == 0
    assert "is an llm run" in answer["rejected"][0]["error"]
    assert server.run(rid)["status"] == "started"


def test_health_and_openapi(server: Server) -> None:
    health = server.client.get("/health").json()
    assert health["status"] == "ok" and health["cost_rows"] > 500
    spec = server.client.get("/openapi.json").json()
    assert "/api/report" in spec["paths"] and "/api/run/" in spec["paths"]
    names = {p["name"] for p in spec["paths"]["/api/run/"]["get"]["parameters"]}
    assert {"status", "min_cost", "from", "to", "tags", "cursor"} <= names
    assert server.client.get("/docs").status_code == 200


def test_concurrent_batches_all_commit(server: Server) -> None:
    import concurrent.futures

    ids = [uid() for _ in range(40)]

    def send(rid: str) -> int:
        with httpx.Client(base_url=server.url) as client:
            resp = client.post(
                "/api/report",
                json={
                    "events": [
                        {
                            "name": "tool_start",
                            "run_id": rid,
                            "event_id": rid + "s",
                            "timestamp": ts(1),
                        },
                        {
                            "name": "tool_end",
                            "run_id": rid,
                            "event_id": rid + "e",
                            "timestamp": ts(2),
                        },
                    ]
                },
            )
            return int(resp.json()["accepted"])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(send, ids)) == 80
    got = {r["run_id"] for r in server.runs()}
    assert set(ids) <= got


def test_published_event_schema_agrees_with_the_event_model() -> None:
    """The checked-in schema accepts and refuses what ``protocol.Event`` does.

    Compared by behaviour on sample events, never by the text a pydantic release
    prints (2.14 added keywords 2.13 did not, which broke a byte-for-byte check)."""
    import json
    from pathlib import Path

    import jsonschema
    from pydantic import ValidationError

    from observatory.protocol import Event

    path = Path(__file__).resolve().parents[2] / "schemas" / "event.schema.json"
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=None)
    assert set(schema["properties"]) == set(Event.model_fields)
    assert {"cached_tokens", "latency_s", "tags", "user_email"} <= set(schema["properties"])
    assert schema["required"] == ["name"]
    samples: list[dict[str, object]] = [
        {"name": "llm_end", "run_id": "r1", "model": "gpt-4o", "prompt_tokens": 3},
        {"name": "tool", "run_id": "r2", "input": {"q": [1, 2]}, "metadata": {"k": "v"}},
        {"name": "x" * 201},
        {"name": ""},
        {"name": "llm_end", "run_id": "r", "prompt_tokens": -1},
        {"name": "llm_end", "run_id": "r", "prompt_tokens": 1.5},
        {"name": "llm_end", "run_id": "r", "status": "done"},
        {"name": "chat", "role": "robot", "content": "hi"},
        {"name": "feedback", "run_id": "r", "rating": "meh"},
        {"name": "feedback", "run_id": "r", "rating": "positive", "comment": 5},
        {"name": "custom_thing", "anything": {"goes": True}},
        # fields the receiver reads beyond the basic ones are declared, with their bounds
        {"name": "llm_end", "run_id": "r", "prompt_tokens": "12"},
        {"name": "llm_end", "run_id": "r", "cached_tokens": 2**63},
        {"name": "llm_end", "run_id": "r", "cached_tokens": 12},
        {"name": "tool", "run_id": "r", "latency_s": 1e300},
        {"name": "tool", "run_id": "r", "latency_s": -1},
        {"name": "tool", "run_id": "r", "latency_s": 1.5},
        {"name": "tool", "run_id": "r", "tags": ["a", "b"], "user_email": "u@x.io"},
        {"name": "tool", "run_id": "r", "tags": [1]},
        {"name": "tool", "run_id": "r", "tags": ["t"] * 101},
        {"name": "tool", "run_id": "r", "user_email": 5},
        {"name": "chat", "role": "developer", "content": "be brief"},
    ]
    for sample in samples:
        schema_ok = validator.is_valid(sample)
        try:
            Event.model_validate(sample)
            model_ok = True
        except ValidationError:
            model_ok = False
        # the schema cannot express the cross-field rules (a run event needs run_id,
        # chat needs role and content), so it may accept more, never less
        assert schema_ok or not model_ok, sample
        if not schema_ok:
            assert not model_ok, sample


def test_run_type_cannot_change_within_one_batch(server: Server) -> None:
    rid = uid()
    answer = server.report(
        [
            {"name": "llm_start", "run_id": rid, "timestamp": ts(0)},
            {"name": "tool_end", "run_id": rid, "timestamp": ts(1), "output": "no"},
            {"name": "llm_end", "run_id": rid, "timestamp": ts(2), "output": "yes"},
        ]
    )
    assert answer["accepted"] == 2
    assert [r["index"] for r in answer["rejected"]] == [1]
    assert "is an llm run" in answer["rejected"][0]["error"]
    run = server.run(rid)
    assert (run["type"], run["status"], run["output"]) == ("llm", "success", "yes")


def test_duplicate_event_of_a_new_run_is_not_folded(server: Server) -> None:
    first, later = uid(), uid()
    server.report([{"name": "tool", "run_id": first, "event_id": "shared-" + first}])
    answer = server.report(
        [
            # same event_id as the stored event: a duplicate, even though it names another run
            {
                "name": "tool_start",
                "run_id": later,
                "event_id": "shared-" + first,
                "timestamp": ts(0),
                "input": "from the duplicate",
            },
            {
                "name": "tool_end",
                "run_id": later,
                "event_id": "end-" + later,
                "timestamp": ts(1),
                "output": "done",
            },
            # and a duplicate inside the batch
            {"name": "tool_end", "run_id": later, "event_id": "end-" + later, "output": "again"},
        ]
    )
    assert (answer["accepted"], answer["duplicates"]) == (1, 2)
    run = server.run(later)
    assert run["input"] is None and run["output"] == "done"


def test_split_batches_fold_like_one(server: Server) -> None:
    parent, child = uid(), uid()
    events = [
        {"name": "agent_start", "run_id": parent, "timestamp": ts(0), "input": "q"},
        {
            "name": "llm",
            "run_id": child,
            "parent_run_id": parent,
            "timestamp": ts(1),
            "model": "gpt-4o",
            "prompt_tokens": 1000,
            "completion_tokens": 100,
        },
        {"name": "agent_end", "run_id": parent, "timestamp": ts(2), "output": "a"},
    ]
    for event in events:  # one per batch: every fold goes through the stored run
        server.report([event])
    split = server.run(parent)
    other_parent, other_child = uid(), uid()
    renamed = json.loads(
        json.dumps(events).replace(parent, other_parent).replace(child, other_child)
    )
    server.report(renamed)  # all in one batch: the drafts are used as they are
    whole = server.run(other_parent)
    for key in ("status", "latency_s", "input", "output", "subtree_cost", "cost"):
        assert split[key] == whole[key], key
    assert whole["subtree_cost"] > 0


def test_duplicates_are_found_beyond_one_lookup_chunk(server: Server) -> None:
    # more ids than one IN (...) list holds (500), and a last chunk that is padded
    prefix = uid("many")
    events = [
        {"name": "tool", "run_id": f"{prefix}-{i}", "event_id": f"{prefix}-{i}"}
        for i in range(1203)
    ]
    first = server.report(events)
    assert (first["accepted"], first["duplicates"]) == (1203, 0)
    again = server.report(events)
    assert (again["accepted"], again["duplicates"]) == (0, 1203)
