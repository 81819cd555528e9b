"""`observatory.Client` / `AsyncClient` over real HTTP against a real receiver."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import observatory
from observatory import api_models as m
from observatory._read_client import RunFilters, _wire_name
from observatory.server import queries
from observatory.server.runner import free_port

from .conftest import Server, ts, uid


def _tree(server: Server) -> dict[str, str]:
    """An agent run with two LLM children and a failed tool, a thread, one tag for all."""
    ids = {k: uid(k) for k in ("tag", "root", "llm1", "llm2", "tool", "thread", "msg")}
    meta = {"agent": "planner", "user_email": "ann@x.io", "tags": [ids["tag"]]}
    kids = [("llm1", "llm", 2), ("llm2", "llm", 3), ("tool", "tool", 4)]
    server.report(
        [{"name": "agent_start", "run_id": ids["root"], "timestamp": ts(1), "metadata": meta}]
        + [
            {
                "name": kind,
                "run_id": ids[key],
                "parent_run_id": ids["root"],
                "timestamp": ts(second),
                "metadata": meta,
                **(
                    {"model": "gpt-4o-mini", "prompt_tokens": 1000, "completion_tokens": 100}
                    if kind == "llm"
                    else {"status": "error", "error": {"message": "boom"}}
                ),
            }
            for key, kind, second in kids
        ]
        + [
            {"name": "agent_end", "run_id": ids["root"], "timestamp": ts(5), "output": "done"},
            {"name": "chat", "thread_id": ids["thread"], "message_id": ids["msg"], "role": "user",
             "content": "hi", "timestamp": ts(1)},
            {"name": "chat", "thread_id": ids["thread"], "role": "assistant", "content": "hello",
             "timestamp": ts(5)},
        ]
    )
    return ids


@pytest.fixture
def client(shared_server: Server) -> Iterator[observatory.Client]:
    with observatory.Client(shared_server.url) as c:
        yield c


def test_runs_follow_cursors_across_more_than_two_pages(shared_server: Server) -> None:
    tag = uid("paged")
    shared_server.report(
        [{"name": "tool", "run_id": uid(), "timestamp": ts(i), "tags": [tag]} for i in range(7)]
    )
    requests: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [requests.append]})
    client = observatory.Client(shared_server.url, http_client=http)
    got = [run.run_id for run in client.runs(tags=tag, page_size=2)]
    assert got == [run["run_id"] for run in shared_server.runs(tags=tag)]
    assert len(got) == 7 and len(requests) == 4  # 2 + 2 + 2 + 1
    client.close()
    assert not http.is_closed  # an injected client belongs to the caller
    http.close()


def test_every_receiver_filter_is_a_keyword_of_runs(client: observatory.Client) -> None:
    assert {_wire_name(name) for name in RunFilters.__annotations__} == set(queries.FILTERS)
    every: RunFilters = {
        "status": "success", "type": "llm", "model": "m", "agent": "a", "user_email": "u",
        "app_id": "x", "parent_run_id": "p", "min_latency_s": 0, "max_latency_s": 9.5,
        "min_cost": 0, "max_cost": 1, "tags": ["t1", "t2"], "from_": datetime(2026, 1, 1),
        "to": "2026-12-31T00:00:00Z",
    }
    assert list(client.runs(**every)) == []  # the receiver accepted every one
    with pytest.raises(TypeError, match="unknown run filter"):
        client.runs(**{"colour": "red"})  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="page_size"):
        client.runs(page_size=1001)


def test_filters_select_runs(client: observatory.Client, shared_server: Server) -> None:
    ids = _tree(shared_server)
    tag = ids["tag"]
    assert [r.run_id for r in client.runs(tags=[tag], type="tool")] == [ids["tool"]]
    assert [r.run_id for r in client.runs(tags=tag, status="error")] == [ids["tool"]]
    children = {r.run_id for r in client.runs(parent_run_id=ids["root"])}
    assert children == {ids["llm1"], ids["llm2"], ids["tool"]}
    late = client.runs(tags=tag, from_=datetime(2026, 5, 29, 8, 0, 3, tzinfo=UTC))
    assert {r.run_id for r in late} == {ids["llm2"], ids["tool"]}
    naive_is_utc = client.runs(tags=tag, to=datetime(2026, 5, 29, 8, 0, 2))
    assert {r.run_id for r in naive_is_utc} == {ids["root"], ids["llm1"]}
    llm = next(client.runs(tags=tag, model="gpt-4o-mini", agent="planner", user_email="ann@x.io"))
    assert isinstance(llm, m.Run) and llm.total_tokens == 1100 and llm.cost and llm.cost > 0


def test_bad_filter_value_is_invalid_request_with_the_receivers_message(
    client: observatory.Client,
) -> None:
    with pytest.raises(observatory.InvalidRequest, match="from must be an ISO-8601") as caught:
        list(client.runs(from_="yesterday"))
    assert caught.value.status_code == 422
    with pytest.raises(observatory.InvalidRequest, match="min_cost is after max_cost"):
        list(client.export(min_cost=2, max_cost=1))


def test_run_detail_children_and_not_found(client: observatory.Client, shared_server: Server) -> None:
    ids = _tree(shared_server)
    detail = client.run(ids["root"])
    assert isinstance(detail, m.RunDetail) and detail.output == "done"
    assert [c.run_id for c in detail.children] == [ids["llm1"], ids["llm2"], ids["tool"]]
    assert detail.subtree_cost == pytest.approx(sum(c.cost or 0 for c in detail.children))
    assert detail.events and detail.start_time == datetime(2026, 5, 29, 8, 0, 1, tzinfo=UTC)
    with pytest.raises(observatory.NotFound, match="no run 'nope'") as caught:
        client.run("nope")
    assert caught.value.status_code == 404 and isinstance(caught.value, observatory.ObservatoryError)
    odd = f"a/b ?#{uid()}"
    shared_server.report([{"name": "tool", "run_id": odd}])
    assert client.run(odd).run_id == odd


def test_threads_and_thread(client: observatory.Client, shared_server: Server) -> None:
    ids = _tree(shared_server)
    for _ in range(3):
        _tree(shared_server)
    threads = list(client.threads(page_size=2))
    assert len({t.thread_id for t in threads}) == len(threads) >= 4
    mine = next(t for t in threads if t.thread_id == ids["thread"])
    assert mine.message_count == 2 and mine.grouped_by == "thread_id"
    detail = client.thread(ids["thread"])
    assert [(msg.role, msg.content) for msg in detail.messages] == [("user", "hi"), ("assistant", "hello")]
    with pytest.raises(observatory.NotFound):
        client.thread(uid("missing"))


def test_export_and_export_to(client: observatory.Client, shared_server: Server, tmp_path: Path) -> None:
    ids = _tree(shared_server)
    listed = list(client.runs(tags=ids["tag"]))
    exported = list(client.export(tags=ids["tag"]))
    assert exported == listed and len(exported) == 4
    path = tmp_path / "runs.ndjson"
    assert client.export_to(path, tags=ids["tag"]) == 4
    lines = path.read_text().splitlines()
    assert [m.Run.model_validate_json(line) for line in lines] == listed
    assert client.export_to(tmp_path / "none.ndjson", tags=uid("nothing")) == 0


def test_export_endpoint_refuses_paging_and_wins_over_run_ids(shared_server: Server) -> None:
    resp = shared_server.client.get("/api/run/export", params={"limit": 5})
    assert resp.status_code == 422 and "filters only" in resp.json()["detail"]
    resp = shared_server.client.get("/api/run/export", params={"status": "nope"})
    assert resp.status_code == 422 and "status must be one of" in resp.json()["detail"]
    resp = shared_server.client.get("/api/run/export", params={"tags": uid("none")})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/x-ndjson"


def test_feedback_and_save_from_code(client: observatory.Client, shared_server: Server) -> None:
    ids = _tree(shared_server)
    client.add_feedback(ids["root"], rating="positive", comment="great plan")
    client.add_feedback(message_id=ids["msg"], rating="negative")
    client.save(ids["root"])
    detail = client.run(ids["root"])
    assert [(f.rating, f.comment) for f in detail.feedback] == [("positive", "great plan")]
    assert detail.saved
    first = client.thread(ids["thread"]).messages[0]
    assert [f.rating for f in first.feedback] == ["negative"]
    with pytest.raises(observatory.InvalidRequest, match="rating"):
        client.add_feedback(ids["root"], rating="meh")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="run_id= or message_id="):
        client.add_feedback(rating="positive")


def test_costs_and_health(client: observatory.Client, shared_server: Server) -> None:
    prices = {p.model: p for p in client.costs()}
    assert prices["gpt-4o-mini"].input == pytest.approx(0.15)
    health = client.health()
    assert health.status == "ok" and health.db == shared_server.store


def test_sync_and_async_clients_return_equal_results(
    client: observatory.Client, shared_server: Server
) -> None:
    ids = _tree(shared_server)
    tag = ids["tag"]

    async def read() -> list[Any]:
        async with observatory.AsyncClient(shared_server.url) as ac:
            return [
                [r async for r in ac.runs(tags=tag, page_size=2)],
                await ac.run(ids["root"]),
                [t async for t in ac.threads(page_size=3)],
                await ac.thread(ids["thread"]),
                [r async for r in ac.export(tags=tag)],
                await ac.costs(),
                (await ac.health()).status,
            ]

    got = asyncio.run(read())
    expected = [
        list(client.runs(tags=tag, page_size=2)),
        client.run(ids["root"]),
        list(client.threads(page_size=3)),
        client.thread(ids["thread"]),
        list(client.export(tags=tag)),
        client.costs(),
        client.health().status,
    ]
    assert got == expected and len(got[0]) == 4


def test_async_writes_errors_and_export_to(shared_server: Server, tmp_path: Path) -> None:
    ids = _tree(shared_server)

    async def go() -> int:
        async with observatory.AsyncClient(shared_server.url) as ac:
            await ac.add_feedback(ids["llm1"], rating="negative", comment="slow")
            await ac.save(ids["llm1"])
            with pytest.raises(observatory.NotFound):
                await ac.run(uid("missing"))
            return await ac.export_to(tmp_path / "a.ndjson", tags=ids["tag"])

    assert asyncio.run(go()) == 4
    detail = shared_server.run(ids["llm1"])
    assert detail["saved"] and detail["feedback"][0]["comment"] == "slow"


def test_auth_errors_carry_the_receivers_message(server: Server) -> None:
    key = server.create_key("acme")
    with pytest.raises(observatory.AuthError, match="missing Authorization") as caught:
        list(observatory.Client(server.url).runs())
    assert observatory.Client(server.url).health().status == "ok"  # no key needed
    assert caught.value.status_code == 401
    with pytest.raises(observatory.AuthError, match="unknown API key"):
        observatory.Client(server.url, "obs_wrong").costs()
    with observatory.Client(server.url, key) as c:
        assert list(c.runs()) == []


def test_settings_come_from_the_environment_and_arguments_win(
    shared_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVATORY_API_URL", shared_server.url + "/")
    monkeypatch.setenv("OBSERVATORY_API_KEY", "obs_from_env")
    c = observatory.Client()
    assert c.api_url == shared_server.url and c.api_key == "obs_from_env"
    c = observatory.Client("http://127.0.0.1:1", "obs_arg")
    assert c.api_url == "http://127.0.0.1:1" and c.api_key == "obs_arg"
    with pytest.raises(ValueError, match="api_url must start with http"):
        observatory.Client("localhost:8787")


def test_unreachable_receiver_is_an_observatory_error() -> None:
    c = observatory.Client(f"http://127.0.0.1:{free_port()}", max_retries=1)
    with pytest.raises(observatory.ObservatoryError, match="cannot reach") as caught:
        c.health()
    assert caught.value.status_code is None and type(caught.value) is observatory.ObservatoryError


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first request of each path, then a valid answer."""

    hits: dict[str, int] = {}

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        self.hits[path] = self.hits.get(path, 0) + 1
        if self.hits[path] == 1:
            body, status = b'{"detail": "busy"}', 503
        elif path == "/health":
            body, status = b'{"status": "ok"}', 200
        else:
            body, status = json.dumps({"accepted": 1, "duplicates": 0, "rejected": []}).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer()

    def log_message(self, *args: Any) -> None:
        pass


def test_reads_retry_transient_failures_writes_do_not() -> None:
    _Flaky.hits = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        c = observatory.Client(f"http://127.0.0.1:{httpd.server_address[1]}")
        assert c.health().status == "ok" and _Flaky.hits["/health"] == 2
        with pytest.raises(observatory.ObservatoryError, match="503: busy") as caught:
            c.save("r1")
        assert caught.value.status_code == 503 and _Flaky.hits["/api/report"] == 1
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_sync_and_async_send_the_same_requests(shared_server: Server) -> None:
    ids = _tree(shared_server)
    sent: dict[str, list[tuple[str, ...]]] = {"sync": [], "async": []}

    def record(side: str, request: httpx.Request) -> None:
        body = request.content.decode()
        if body:  # event ids are fresh on every write
            body = json.dumps([{k: v for k, v in e.items() if k != "event_id"}
                               for e in json.loads(body)["events"]])
        kind = request.headers.get("content-type", "")
        sent[side].append((request.method, str(request.url), kind, body))

    http = httpx.Client(event_hooks={"request": [lambda r: record("sync", r)]})
    with observatory.Client(shared_server.url, http_client=http) as c:
        list(c.runs(tags=ids["tag"], page_size=2, from_=datetime(2026, 5, 29)))
        c.run(ids["root"]), c.thread(ids["thread"]), list(c.export(type="llm", tags=ids["tag"]))
        c.add_feedback(ids["root"], rating="positive"), c.save(ids["root"])

    async def record_async(request: httpx.Request) -> None:
        record("async", request)

    async def go() -> None:
        ahttp = httpx.AsyncClient(event_hooks={"request": [record_async]})
        async with observatory.AsyncClient(shared_server.url, http_client=ahttp) as ac:
            [r async for r in ac.runs(tags=ids["tag"], page_size=2, from_=datetime(2026, 5, 29))]
            await ac.run(ids["root"]), await ac.thread(ids["thread"])
            [r async for r in ac.export(type="llm", tags=ids["tag"])]
            await ac.add_feedback(ids["root"], rating="positive"), await ac.save(ids["root"])
        await ahttp.aclose()

    asyncio.run(go())
    http.close()
    assert sent["sync"] == sent["async"] and len(sent["sync"]) == 7
