"""Paging threads names only the threads a page shows, and still loses none on ties."""

from __future__ import annotations

from .conftest import Server, ts, uid


def test_pages_of_tied_threads_list_each_thread_once_in_order(server: Server) -> None:
    same = ts(5, minute=40)
    chats = [
        {
            "name": "chat",
            "role": "user",
            "content": "hi",
            "timestamp": same,
            "metadata": {"agent": uid("agent"), "user_email": "u@example.com"},
        }
        for _ in range(23)
    ] + [
        {
            "name": "chat",
            "role": "user",
            "content": "hi",
            "timestamp": ts(i % 3, minute=40),
            "thread_id": uid("t"),
        }
        for i in range(11)
    ]
    server.report(chats)
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(20):
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = server.client.get("/api/threads", params=params).json()
        seen += [(t["last_time"], t["thread_id"]) for t in page["threads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 34 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
