"""Keys, projects and the loopback-only default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from observatory.server import auth, db, models
from observatory.server.runner import run_server

from .conftest import Server, cli, lan_address, uid


def test_no_keys_serves_loopback(server: Server) -> None:
    assert server.client.get("/api/run/").status_code == 200
    assert server.client.post("/api/report", json={"events": []}).status_code == 200


@pytest.fixture
def lan_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    addr = lan_address()
    if addr is None:
        pytest.skip("no non-loopback interface on this machine")
    db_url = f"sqlite:///{tmp_path / 'lan.db'}"
    url, stop = run_server(db_url, host="0.0.0.0")
    try:
        yield url.replace("0.0.0.0", addr), db_url
    finally:
        stop()


def test_no_keys_refuses_non_loopback_with_403(lan_server: tuple[str, str]) -> None:
    url, db_url = lan_server
    resp = httpx.post(url + "/api/report", json={"events": [{"name": "tool", "run_id": "x"}]})
    assert resp.status_code == 403 and "loopback" in resp.json()["detail"]
    assert httpx.get(url + "/api/run/").status_code == 403
    assert httpx.get(url + "/metrics").status_code == 403
    assert httpx.get(url + "/health").status_code == 200
    # once a key exists, remote callers with it are served
    srv = Server(url, db_url, Path("."), lambda: None)
    key = srv.create_key("remote")
    resp = httpx.post(
        url + "/api/report",
        json={"events": [{"name": "tool", "run_id": "x"}]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert resp.status_code == 200 and resp.json()["accepted"] == 1
    # the cost table is shared by every project: remote keys read it, never change it
    auth_header = {"Authorization": f"Bearer {key}"}
    assert httpx.get(url + "/api/costs/gpt-4o", headers=auth_header).status_code == 200
    price = {"input": 0.0, "output": 0.0}
    for resp in (
        httpx.put(url + "/api/costs/gpt-4o", json=price, headers=auth_header),
        httpx.delete(url + "/api/costs/gpt-4o", headers=auth_header),
    ):
        assert resp.status_code == 403 and "receiver's host" in resp.json()["detail"]
    assert httpx.get(url + "/api/costs/gpt-4o", headers=auth_header).json()["input"] > 0
    recalc = httpx.post(url + "/api/costs/recalc", headers=auth_header)
    assert recalc.status_code == 200  # its own project's runs, with the shared table


def test_with_keys_every_api_call_needs_a_valid_key(server: Server) -> None:
    key = server.create_key("acme")
    for method, path in (
        ("GET", "/api/run/"),
        ("POST", "/api/report"),
        ("GET", "/api/costs"),
        ("GET", "/api/threads"),
        ("GET", "/api/run/x"),
        ("POST", "/api/costs/recalc"),
    ):
        resp = server.client.request(method, path, json={"events": []})
        assert resp.status_code == 401, path
        assert "Bearer" in resp.json()["detail"]
        bad = server.client.request(
            method, path, json={"events": []}, headers={"Authorization": "Bearer nope"}
        )
        assert bad.status_code == 401 and "unknown API key" in bad.json()["detail"]
        basic = server.client.request(method, path, headers={"Authorization": "Basic abc"})
        assert basic.status_code == 401
    assert server.client.get("/api/run/", headers=server.headers(key)).status_code == 200
    assert server.client.get("/health").status_code == 200


def test_revoked_key_is_refused(server: Server) -> None:
    key = server.create_key("acme")
    server.report([{"name": "tool", "run_id": uid()}], key=key)
    from observatory.server import db

    database = db.open_database(server.db_url)
    with database.write.begin() as conn:
        auth.revoke_key(conn, key)
    database.dispose()
    resp = server.client.get("/api/run/", headers=server.headers(key))
    assert resp.status_code == 401 and "revoked" in resp.json()["detail"]


def test_projects_cannot_read_or_write_each_others_data(server: Server) -> None:
    ka, kb = server.create_key("team-a"), server.create_key("team-b")
    shared = uid("same-id")
    server.report(
        [
            {"name": "tool_start", "run_id": shared, "input": "a's secret"},
            {"name": "chat", "role": "user", "content": "a", "thread_id": "t-shared"},
        ],
        key=ka,
    )
    # b reuses the run id: its own run, not a's
    server.report([{"name": "tool_end", "run_id": shared, "output": "b's"}], key=kb)
    a_run, b_run = server.run(shared, key=ka), server.run(shared, key=kb)
    assert (
        a_run["input"] == "a's secret" and a_run["output"] is None and a_run["app_id"] == "team-a"
    )
    assert b_run["input"] is None and b_run["output"] == "b's" and b_run["app_id"] == "team-b"
    only_a = uid()
    server.report([{"name": "tool", "run_id": only_a}], key=ka)
    assert server.client.get(f"/api/run/{only_a}", headers=server.headers(kb)).status_code == 404
    assert only_a not in {r["run_id"] for r in server.runs(key=kb)}
    assert server.client.get("/api/threads/t-shared", headers=server.headers(kb)).status_code == 404
    assert server.client.get("/api/threads/t-shared", headers=server.headers(ka)).status_code == 200
    # naming another project's app is rejected, its own apps are fine
    answer = server.report(
        [
            {"name": "tool", "run_id": uid(), "app_id": "team-a"},
            {"name": "tool", "run_id": uid(), "metadata": {"app_id": "team-a"}},
            {"name": "tool", "run_id": uid(), "app_id": "b-mobile"},
        ],
        key=kb,
    )
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [0, 1]
    assert "another project" in answer["rejected"][0]["error"]
    assert (
        server.report([{"name": "tool", "run_id": uid(), "app_id": "b-mobile"}], key=ka)["accepted"]
        == 0
    )
    # feedback/saved from b cannot touch a's run
    server.report(
        [
            {"name": "saved", "run_id": only_a},
            {"name": "feedback", "run_id": only_a, "rating": "negative"},
        ],
        key=kb,
    )
    detail = server.run(only_a, key=ka)
    assert detail["saved"] is False and detail["feedback"] == []


def test_keys_are_stored_only_as_hashes(server: Server) -> None:
    key = server.create_key("acme")
    server.report([{"name": "tool", "run_id": uid()}], key=key)
    database = db.open_database(server.db_url)
    try:
        with database.read.connect() as conn:
            stored = repr(conn.execute(select(models.api_keys)).all())
    finally:
        database.dispose()
    assert key not in stored and key[4:] not in stored
    for path in server.path.parent.iterdir():
        if path.name.startswith("obs.db"):
            assert key.encode() not in path.read_bytes()
            assert key[4:].encode() not in path.read_bytes()
    assert auth.hash_key(key) != key and len(auth.hash_key(key)) == 64


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("10.1.2.3", False),
        ("192.0.2.2", False),
        (None, False),
        ("testclient", False),
    ],
)
def test_loopback_detection(host: str | None, loopback: bool) -> None:
    assert auth.is_loopback(host) is loopback


def test_revoking_the_last_key_keeps_the_api_closed(server: Server) -> None:
    key = server.create_key("only")
    cli("keys", "revoke", key[:8], "--db", server.db_url)  # "obs_" and 4 more: a short prefix
    for resp in (
        server.client.get("/api/run/"),
        server.client.post("/api/report", json={"events": []}),
    ):
        assert resp.status_code == 401, resp.text
        assert "allow-keyless" in resp.json()["detail"]
    listed = cli("keys", "list", "--db", server.db_url).stdout
    assert "every key is revoked" in listed
    # the explicit way back to keyless loopback access
    cli("keys", "allow-keyless", "--db", server.db_url)
    assert server.client.get("/api/run/").status_code == 200
    # a new key closes it again, and allow-keyless refuses while a key is active
    server.create_key("again")
    assert server.client.get("/api/run/").status_code == 401
    refused = cli("keys", "allow-keyless", "--db", server.db_url, check=False)
    assert refused.returncode == 2 and "still active" in refused.stderr


def test_revoke_by_a_short_prefix_and_an_ambiguous_one(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'k.db'}"
    keys = [cli("keys", "create", "--project", p, "--db", db_url).stdout.split()[-1] for p in "ab"]
    ambiguous = cli("keys", "revoke", "obs_", "--db", db_url, check=False)
    assert ambiguous.returncode == 2
    assert "2 active keys match" in ambiguous.stderr
    assert keys[0][:12] in ambiguous.stderr and keys[1][:12] in ambiguous.stderr
    short = next(
        k[:n] for n in range(5, 13) for k in keys if sum(o[:n] == k[:n] for o in keys) == 1
    )
    done = cli("keys", "revoke", short, "--db", db_url)
    assert "revoked key" in done.stdout
    listed = cli("keys", "list", "--db", db_url).stdout
    assert listed.count("revoked") == 1 and listed.count("active") == 1
