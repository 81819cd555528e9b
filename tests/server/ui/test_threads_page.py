"""/threads and /threads/{id} in Chromium: the list, and messages in order with feedback."""

from __future__ import annotations

from typing import Any

from ..conftest import Server, ts, uid
from .seed import run_events


def test_a_thread_shows_its_messages_in_order_with_feedback(
    shared_server: Server, page: Any
) -> None:
    thread, run_id, agent = uid("thread"), uid("run"), uid("agent")
    said = ["Where is my order?", "It ships today.", "Thanks!", "You're welcome."]
    roles = ["user", "assistant", "user", "assistant"]
    mids = [uid("m") for _ in said]
    chats = [
        {
            "name": "chat",
            "thread_id": thread,
            "role": roles[i],
            "content": said[i],
            "message_id": mids[i],
            "parent_run_id": run_id,
            "timestamp": ts(10 + i, minute=30),
            "metadata": {"agent": agent, "user_email": "ada@example.com"},
        }
        for i in range(4)
    ]
    shared_server.report(run_events(run_id, "agent", 9, 20, minute=30))
    shared_server.report(list(reversed(chats)))  # arrival order is not message order
    shared_server.report(
        [
            {"name": "feedback", "message_id": mids[1], "rating": "positive", "comment": "fast"},
            {"name": "feedback", "message_id": mids[3], "rating": "negative"},
        ]
    )

    page.goto(f"{shared_server.url}/threads?agent={agent}")
    link = page.get_by_role("link", name=thread)
    link.wait_for()
    row = page.locator(f'tr[data-thread-id="{thread}"]')
    assert agent in row.inner_text() and "ada@example.com" in row.inner_text()
    assert row.locator("td.num").inner_text() == "4"
    link.click()
    page.wait_for_url(f"**/threads/{thread}")

    messages = page.locator("ol.messages > li")
    messages.nth(3).wait_for()
    assert messages.locator(".content").all_inner_texts() == said
    assert messages.locator(".role").all_inner_texts() == roles
    assert messages.nth(1).locator(".feedback").inner_text().endswith("positive — fast")
    assert "negative" in messages.nth(3).locator(".feedback").inner_text()
    assert messages.nth(0).locator(".feedback").count() == 0
    assert messages.nth(0).get_by_role("link", name="run").get_attribute("href") == (
        f"/runs/{run_id}"
    )
    page.reload()
    page.locator("ol.messages > li").nth(3).wait_for()
