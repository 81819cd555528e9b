"""A Lambda-style serverless handler that delivers its events before every return.

Shows `observatory.flush_after`: a serverless runtime may freeze the process as soon as the
handler returns, or kill it without running exit hooks, so events must be sent before the
handler returns. `@observatory.flush_after(timeout=2.0)` flushes after each invocation (whether
it returns or raises), waiting at most `timeout` seconds; `with observatory.flush_after(...)`
does the same for a block (`async with` and `async def` handlers work too).

To prove the point, this script ends with `os._exit(0)`, which skips every exit hook, the way
a frozen or killed container would: everything still arrives.

Run a receiver first (`observatory serve`), then:

    python examples/serverless_handler.py

It reports to OBSERVATORY_API_URL (default http://127.0.0.1:8787), with OBSERVATORY_API_KEY as a
Bearer token when set. In AWS Lambda, set those two variables on the function and decorate your
`handler(event, context)` the same way.
"""

from __future__ import annotations

import json
import os
import sys
import time

import observatory


@observatory.llm(model="gpt-4o-mini")
def classify(text: str) -> dict:
    time.sleep(0.03)  # stand-in for the model call
    label = "refund" if "refund" in text else "question"
    return {"label": label, "usage": {"prompt_tokens": 95, "completion_tokens": 4}}


@observatory.agent(name="ticket-router", tags=["example", "serverless"])
def route(ticket: dict) -> dict:
    label = classify(ticket["body"])["label"]
    return {"queue": label, "run_id": observatory.current_run().run_id}


@observatory.flush_after(timeout=2.0)
def handler(event: dict, context: object = None) -> dict:
    """The function the runtime calls (e.g. AWS Lambda's `module.handler`)."""
    routed = route(json.loads(event["body"]))
    return {"statusCode": 200, "body": json.dumps(routed)}


def handler_with_block(event: dict, context: object = None) -> dict:
    """The same, with the context-manager form (when you cannot decorate the handler)."""
    with observatory.flush_after(timeout=2.0) as flushed:
        routed = route(json.loads(event["body"]))
    print(f"delivered before returning: {flushed.delivered}")
    return {"statusCode": 200, "body": json.dumps(routed)}


if __name__ == "__main__":
    for body in ({"body": "Where is my parcel?"}, {"body": "I want a refund"}):
        answer = handler({"body": json.dumps(body)})
        print(f"run_id={json.loads(answer['body'])['run_id']} via @flush_after")
    answer = handler_with_block({"body": json.dumps({"body": "refund please"})})
    print(f"run_id={json.loads(answer['body'])['run_id']} via with flush_after()")
    sys.stdout.flush()
    os._exit(0)  # like a frozen/killed container: no exit hooks run, nothing is lost
