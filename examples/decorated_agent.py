"""Decorating agent functions: sync and async agents with nested llm and tool calls.

Shows: @observatory.agent / @observatory.llm / @observatory.tool, token usage on
LLM calls, request context (user email, tags), asyncio.gather nesting, and a
failing call recorded with status "error".

Run a receiver first (`observatory serve`), then:

    python examples/decorated_agent.py

It reports to OBSERVATORY_API_URL (default http://127.0.0.1:8787) with
OBSERVATORY_API_KEY when set, and flushes before exiting.
"""

from __future__ import annotations

import asyncio
import sys

import observatory


@observatory.llm(model="gpt-4o-mini")
def complete(prompt: str) -> dict:
    """A stand-in for an LLM client call that returns OpenAI-style usage."""
    return {"text": f"answer to {prompt!r}", "usage": {"prompt_tokens": 120, "completion_tokens": 40}}


@observatory.tool
def search_docs(query: str) -> list[str]:
    return [f"doc about {query}"]


@observatory.tool
def flaky_lookup(key: str) -> str:
    raise TimeoutError(f"lookup of {key} timed out")


@observatory.agent(name="support-agent", tags=["example"])
def support_agent(question: str) -> str:
    docs = search_docs(question)
    try:
        flaky_lookup("account-42")
    except TimeoutError:
        pass  # the failing call is recorded with status "error"; the agent carries on
    return complete(f"{question} using {docs}")["text"]


@observatory.llm(model="claude-sonnet-4")
async def summarize(text: str) -> str:
    await asyncio.sleep(0.01)
    run = observatory.current_run()
    run.set_usage(prompt_tokens=300, completion_tokens=60)
    return text[:40]


@observatory.agent
async def research_agent(topics: list[str]) -> list[str]:
    return list(await asyncio.gather(*(summarize(f"notes on {t}") for t in topics)))


def main() -> int:
    with observatory.context(user_email="ada@example.com", tags=["docs-demo"]):
        print(support_agent("How do I reset my password?"))
        print(asyncio.run(research_agent(["billing", "refunds"])))
    delivered = observatory.flush(timeout=5.0)
    print("delivered:", delivered, observatory.stats())
    return 0 if delivered else 1


if __name__ == "__main__":
    sys.exit(main())
