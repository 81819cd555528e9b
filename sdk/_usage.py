"""Token usage read from an LLM call's return value (on the background thread).

Understands OpenAI-style ``usage.prompt_tokens/completion_tokens/total_tokens``
(cached: ``prompt_tokens_details.cached_tokens``), Anthropic-style
``usage.input_tokens/output_tokens`` (cached: ``cache_read_input_tokens``) and
LangChain's ``usage_metadata`` (cached: ``input_token_details.cache_read``), on
objects or dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ALIASES = {
    "prompt_tokens": ("prompt_tokens", "input_tokens"),
    "completion_tokens": ("completion_tokens", "output_tokens"),
    "total_tokens": ("total_tokens",),
}


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    try:
        return getattr(obj, key, None)
    except Exception:
        return None


def _as_count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 else None


def usage_from(result: Any) -> tuple[dict[str, int], str | None]:
    """``(usage, model)`` found on ``result``; empty usage when there is none."""
    if result is None or isinstance(result, str | bytes | int | float | list | tuple):
        return {}, None
    usage_obj = _get(result, "usage")
    if usage_obj is None:
        usage_obj = _get(result, "usage_metadata")
    model = _get(result, "model")
    usage: dict[str, int] = {}
    if usage_obj is not None:
        for field, names in _ALIASES.items():
            for name in names:
                count = _as_count(_get(usage_obj, name))
                if count is not None:
                    usage[field] = count
                    break
        cached = _as_count(_get(_get(usage_obj, "prompt_tokens_details"), "cached_tokens"))
        if cached is None:
            cached = _as_count(_get(usage_obj, "cache_read_input_tokens"))
        if cached is None:
            cached = _as_count(_get(_get(usage_obj, "input_token_details"), "cache_read"))
        if cached is not None:
            usage["cached_tokens"] = cached
    if "total_tokens" not in usage and "prompt_tokens" in usage and "completion_tokens" in usage:
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return usage, model if isinstance(model, str) else None
