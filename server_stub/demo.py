# mypy: disable-error-code="untyped-decorator,no-any-return"
"""``observatory demo``: a receiver in a thread, a small agent through the SDK, and
what the receiver now holds."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from . import auth, db, models
from .runner import run_server


def _agent_program(thread_id: str) -> dict[str, Any]:
    """Run the instrumented demo agent; returns the ids the demo refers to later."""
    import observatory

    ids: dict[str, Any] = {}

    @observatory.llm(model="gpt-4o-mini")
    def plan(question: str) -> str:
        observatory.current_run().set_usage(
            model="gpt-4o-mini", prompt_tokens=412, completion_tokens=96
        )
        time.sleep(0.12)  # stand-ins for real work, so latencies mean something
        return "look up the order, then check whether a refund is allowed"

    @observatory.tool
    def lookup_order(order_id: str) -> dict[str, Any]:
        time.sleep(0.03)
        return {"order_id": order_id, "status": "delivered", "total_usd": 742.0}

    @observatory.tool
    def issue_refund(order_id: str, amount_usd: float) -> str:
        raise ValueError(f"refunds above $500 need a human approval (asked ${amount_usd:.0f})")

    @observatory.llm(model="gpt-4o")
    def write_answer(facts: dict[str, Any]) -> str:
        observatory.current_run().set_usage(
            model="gpt-4o", prompt_tokens=1830, completion_tokens=240
        )
        time.sleep(0.2)
        return "Your order was delivered; a colleague will approve the refund today."

    @observatory.agent
    def support_agent(question: str) -> str:
        ids["agent_run_id"] = observatory.current_run().run_id
        observatory.track_event("chat", role="user", content=question, thread_id=thread_id)
        plan(question)
        order = lookup_order("A-1042")
        try:
            issue_refund("A-1042", order["total_usd"])
        except ValueError as exc:
            order["refund"] = str(exc)
        answer = write_answer(order)
        observatory.track_event("chat", role="assistant", content=answer, thread_id=thread_id)
        return answer

    with observatory.context(user_email="ada@example.com", tags=["demo", "support"]):
        support_agent("Where is my order A-1042? I want a refund.")
    observatory.track_event(
        "feedback", run_id=ids["agent_run_id"], rating="positive", comment="clear and honest answer"
    )
    observatory.track_event("saved", run_id=ids["agent_run_id"])
    ids["flushed"] = observatory.flush(timeout=5.0)
    return ids


def _print_tree(runs: list[dict[str, Any]], root: str) -> None:
    children: dict[str | None, list[dict[str, Any]]] = {}
    for run in sorted(runs, key=lambda r: r["start_time"] or ""):
        children.setdefault(run["parent_run_id"], []).append(run)
    by_id = {r["run_id"]: r for r in runs}

    def show(run: dict[str, Any], depth: int) -> None:
        label = "  " * depth + f"{run['type']:<5} {run['name']}"
        latency = f"{run['latency_s']:.3f}s" if run["latency_s"] is not None else "-"
        cost = f"${run['subtree_cost']:.6f}" if depth == 0 else f"${run['cost']:.6f}"
        note = run["cost_status"] if run["type"] == "llm" else ""
        if run["error"]:
            note = f"{run['error'].get('type') or 'error'}: {run['error'].get('message')}"
        print(f"  {label:<32} {run['status']:<8} {latency:>8} {cost:>11}  {note}")
        for child in children.get(run["run_id"], []):
            show(child, depth + 1)

    show(by_id[root], 0)


def _stored_runs(db_url: str) -> int:
    """Runs in the whole store (a second demo adds to the first one's)."""
    database = db.open_database(db_url)
    try:
        with database.read.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(models.runs)).scalar_one())
    finally:
        database.dispose()


def _print_ui_hint(db_url: str, root: str, thread_id: str) -> None:
    """Where to look next: the web UI of ``observatory serve`` on this store."""
    from .settings import DEFAULT_HOST, DEFAULT_PORT

    ui = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    print(f"\nSee it in the web UI: run `observatory serve --db {db_url}`, then open")
    print(f"  {ui}/runs/{root}   (this trace)")
    print(f"  {ui}/threads/{thread_id}   (the conversation)")
    print(f"  {ui}/dashboard   (cost, errors, latency)")


def run_demo(db_url: str) -> int:
    """Start a receiver on ``db_url``, run the demo agent, print what was stored."""
    import observatory

    key: str | None = None
    database = db.open_database(db_url)
    try:
        with database.write.begin() as conn:
            if auth.keys_required(conn):
                key_id, key = auth.create_key(conn, "demo")
    finally:
        database.dispose()
    url, stop = run_server(db_url)
    try:
        print(f"observatory demo: receiver on {url}, store {db_url}")
        observatory.init(api_url=url, api_key=key, app_id="demo")
        thread_id = f"demo-{uuid.uuid4().hex[:8]}"
        ids = _agent_program(thread_id)
        if not ids.get("flushed"):
            print("observatory demo: the SDK could not deliver every event within 5 s")
            return 1
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            root = ids["agent_run_id"]
            detail = client.get(f"/api/run/{root}").json()
            tree = [detail]
            frontier = [c["run_id"] for c in detail["children"]]
            for _ in range(10):
                if not frontier:
                    break
                nxt = []
                for rid in frontier:
                    sub = client.get(f"/api/run/{rid}").json()
                    tree.append(sub)
                    nxt += [c["run_id"] for c in sub["children"]]
                frontier = nxt
            print(
                "\nRuns (type, name, status, latency, cost; the agent shows its whole tree's cost):"
            )
            _print_tree(tree, root)
            print(
                f"\n  saved: {detail['saved']}   feedback: "
                + ", ".join(f"{f['rating']} ({f['comment']})" for f in detail["feedback"])
            )
            thread = client.get(f"/api/threads/{thread_id}").json()
            print(f"\nThread {thread_id}:")
            for msg in thread["messages"]:
                print(f"  [{msg['timestamp']}] {msg['role']:>9}: {msg['content']}")
            print(
                f"\nThis demo stored {len(tree)} runs and {len(thread['messages'])} messages; "
                f"{db_url} now holds {_stored_runs(db_url)} runs in all."
            )
            _print_ui_hint(db_url, root, thread_id)
            # The store has keys: reads need one too (the demo's own key is revoked below).
            auth_header = '-H "Authorization: Bearer $OBSERVATORY_API_KEY" ' if key else ""
            print(
                "Next: `observatory serve`, then e.g. "
                f"curl {auth_header}'http://127.0.0.1:8787/api/run/?app_id=demo&status=error'"
            )
    finally:
        observatory.shutdown(timeout=2.0)
        stop()
        if key is not None:
            database = db.open_database(db_url)
            try:
                with database.write.begin() as conn:
                    auth.revoke_key(conn, str(key_id))
            finally:
                database.dispose()
    return 0
