"""Custom events: a chat thread, feedback on a run and on a message, and a saved run.

Shows `observatory.track_event` with the three events the receiver gives meaning to:
- `chat` (role, content, thread_id, and an optional message_id of your choosing): messages
  grouped into a thread (`GET /api/threads/{thread_id}`);
- `feedback` (rating "positive"/"negative", comment) on a run (`run_id=`) or on one chat
  message (`message_id=`, the id you gave that message);
- `saved` (run_id): keeps the run past retention (`observatory retention --days N`).

Run a receiver first (`observatory serve`), then:

    python examples/custom_events.py

It reports to OBSERVATORY_API_URL (default http://127.0.0.1:8787), with OBSERVATORY_API_KEY as a
Bearer token when set, and prints the thread id and run id to look up.
"""

from __future__ import annotations

import sys
import time
import uuid

import observatory


@observatory.llm(model="gpt-4o-mini")
def complete(question: str) -> dict:
    time.sleep(0.05)  # stand-in for the model call
    return {
        "text": "Go to Settings > Security > Reset password; the link is valid for 1 hour.",
        "usage": {"prompt_tokens": 240, "completion_tokens": 32},
    }


@observatory.agent(name="support-chat", tags=["example"])
def answer(thread_id: str, turn: int, question: str) -> dict:
    # chat events inside a run are linked to it (their parent_run_id is this run).
    observatory.track_event(
        "chat", role="user", content=question, thread_id=thread_id, message_id=f"{thread_id}-{turn}-user"
    )
    reply = complete(question)["text"]
    observatory.track_event(
        "chat", role="assistant", content=reply, thread_id=thread_id, message_id=f"{thread_id}-{turn}-assistant"
    )
    # Hand the run id back, to rate or save this run later.
    return {"reply": reply, "run_id": observatory.current_run().run_id}


def main() -> int:
    thread_id = f"example-{uuid.uuid4().hex[:8]}"  # e.g. your conversation or ticket id
    with observatory.context(user_email="grace@example.com"):
        answer(thread_id, 1, "How do I reset my password?")
        run_id = answer(thread_id, 2, "And if the link has expired?")["run_id"]

        # The user rates the second run as a whole, and one message of the thread.
        observatory.track_event("feedback", run_id=run_id, rating="positive", comment="solved it")
        observatory.track_event(
            "feedback", message_id=f"{thread_id}-1-assistant", rating="negative", comment="too terse"
        )
        # A reviewer keeps this run (e.g. for a dataset): retention will not delete it.
        observatory.track_event("saved", run_id=run_id)

    delivered = observatory.flush(timeout=5.0)
    print(f"thread_id={thread_id}")
    print(f"run_id={run_id}")
    print(f"delivered: {delivered}")
    return 0 if delivered else 1


if __name__ == "__main__":
    sys.exit(main())
