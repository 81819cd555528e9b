"""Token usage read from an LLM call's return value (on the background thread).

Understands OpenAI-style ``usage.prompt_tokens/completion_tokens/total_tokens``
(cached: ``prompt_tokens_details.cached_tokens``), Anthropic-style
``usage.input_tokens/output_tokens`` (cached: ``cache_read_input_tokens``) and
LangChain's ``usage_metadata`` (cached: ``input_token_details.cache_read``), on
objects or dicts.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

from ._limits import MAX_TOKENS, token_count

_ALIASES = {
    "prompt_tokens": ("prompt_tokens", "input_tokens"),
    "completion_tokens": ("completion_tokens", "output_tokens"),
    "total_tokens": ("total_tokens",),
}


_MEMBER_TYPES = (types.MemberDescriptorType, types.GetSetDescriptorType)


def _get(obj: Any, key: str) -> Any:
    # Reads stored values only (an instance's __dict__ or slots, a dict's item):
    # a property, __getattr__ or a Mapping's own methods would run the user's code.
    if obj is None:
        return None
    if issubclass(type(obj), dict):
        return dict.get(obj, key)
    try:
        found = inspect.getattr_static(obj, key, None)
        if type(found) in _MEMBER_TYPES:
            return found.__get__(obj, type(obj))  # a __slots__ member: stored on the instance
        if found is None:  # a pydantic model's extra field (LiteLLM sets usage that way)
            extra = object.__getattribute__(obj, "__pydantic_extra__")
            return dict.get(extra, key) if type(extra) is dict else None
    except Exception:
        return None
    return None if callable(getattr(type(found), "__get__", None)) else found


def _as_count(value: Any) -> int | None:
    return token_count(value)


def usage_from(result: Any) -> tuple[dict[str, int], str | None]:
    """``(usage, model)`` found on ``result``; empty usage when there is none."""
    if result is None or issubclass(type(result), str | bytes | int | float | list | tuple):
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
        total = usage["prompt_tokens"] + usage["completion_tokens"]
        if total <= MAX_TOKENS:
            usage["total_tokens"] = total
    return usage, model if type(model) is str else None
