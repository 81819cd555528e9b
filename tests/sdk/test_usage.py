"""Token usage: one parser for the SDK and every integration, in any provider's spelling."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from observatory._usage import read_usage, usage_from
from observatory.integrations._runs import usage_counts

SPELLINGS: list[tuple[Any, dict[str, int]]] = [
    (  # OpenAI
        {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12,
         "prompt_tokens_details": {"cached_tokens": 4}},
        {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12, "cached_tokens": 4},
    ),
    (  # Anthropic, as an object
        SimpleNamespace(input_tokens=7, output_tokens=3, cache_read_input_tokens=5),
        {"prompt_tokens": 7, "completion_tokens": 3, "cached_tokens": 5},
    ),
    (  # LangChain usage_metadata
        {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10, "input_token_details": {"cache_read": 1}},
        {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10, "cached_tokens": 1},
    ),
    (  # Gemini
        {"prompt_token_count": 8, "candidates_token_count": 1, "total_token_count": 9},
        {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
    ),
    ({"prompt_eval_count": 6, "eval_count": 2}, {"prompt_tokens": 6, "completion_tokens": 2}),  # Ollama
    (  # nested, as LangChain's llm_output carries it
        {"token_usage": {"prompt_tokens": 7, "completion_tokens": 2}, "model_name": "m"},
        {"prompt_tokens": 7, "completion_tokens": 2},
    ),
    ({"prompt_tokens": True, "completion_tokens": "3", "total_tokens": -1}, {}),
    ({"prompt_tokens": float("nan"), "completion_tokens": 2.0}, {"completion_tokens": 2}),
    (None, {}),
    ("text", {}),
]


@pytest.mark.parametrize(("container", "expected"), SPELLINGS)
def test_read_usage_understands_every_spelling(container: Any, expected: dict[str, int]) -> None:
    assert read_usage(container) == expected


def test_no_total_is_made_up_when_the_provider_gives_none() -> None:
    usage, model = usage_from(SimpleNamespace(model="claude", usage={"input_tokens": 7, "output_tokens": 3}))
    assert usage == {"prompt_tokens": 7, "completion_tokens": 3} and model == "claude"


def test_integrations_use_the_same_parser() -> None:
    for container, expected in SPELLINGS:
        counts = usage_counts(container)
        want = (expected.get("prompt_tokens"), expected.get("completion_tokens"), expected.get("total_tokens"))
        assert counts == (want if any(c is not None for c in want) else None)


def test_reading_usage_calls_nothing_on_the_object() -> None:
    class Strict:
        input_tokens = 4
        output_tokens = 1

        def model_dump(self) -> dict[str, Any]:
            raise AssertionError("usage must be read, not dumped")

        def __iter__(self) -> Any:
            raise AssertionError("usage must not be iterated")

    assert read_usage(Strict()) == {"prompt_tokens": 4, "completion_tokens": 1}
