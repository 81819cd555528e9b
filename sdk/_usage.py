"""Token usage in any provider's spelling: the one parser the SDK and its integrations use.

Understands OpenAI-style ``prompt_tokens/completion_tokens/total_tokens`` (cached:
``prompt_tokens_details.cached_tokens``), Anthropic-style ``input_tokens/output_tokens``
(cached: ``cache_read_input_tokens``), LangChain's ``usage_metadata`` (cached:
``input_token_details.cache_read``), Gemini's ``*_token_count`` and Ollama's
``prompt_eval_count/eval_count``, on objects or mappings, also nested in
``token_usage``/``usage``/``usage_metadata``. Values are read with ``getattr`` or
``Mapping.get`` only: nothing is called, iterated or changed.

``total_tokens`` is sent only when the provider says it: the receiver derives it
from prompt + completion otherwise (``observatory.protocol.total_tokens``).
"""

from __future__ import annotations

import inspect
import types
from typing import Any

from ._limits import token_count

_ALIASES = {
    "prompt_tokens": ("prompt_tokens", "input_tokens", "prompt_token_count", "prompt_eval_count"),
    "completion_tokens": ("completion_tokens", "output_tokens", "candidates_token_count", "eval_count"),
    "total_tokens": ("total_tokens", "total_token_count"),
}
_CACHED = (
    ("prompt_tokens_details", "cached_tokens"),
    ("cache_read_input_tokens",),
    ("input_token_details", "cache_read"),
    ("cached_content_token_count",),
)
_CONTAINERS = ("token_usage", "usage", "usage_metadata")
_MAX_NESTED = 3


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


def read_usage(container: Any, _depth: int = 0) -> dict[str, int]:
    """Token counts (``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
    ``cached_tokens``: those found) of a usage mapping or object; empty if none."""
    if container is None or issubclass(type(container), str | bytes | int | float | list | tuple):
        return {}
    if _depth < _MAX_NESTED:
        for key in _CONTAINERS:
            inner = _get(container, key)
            if inner is not None and inner is not container:
                found = read_usage(inner, _depth + 1)
                if found:
                    return found
    usage: dict[str, int] = {}
    for field, names in _ALIASES.items():
        for name in names:
            count = _as_count(_get(container, name))
            if count is not None:
                usage[field] = count
                break
    if usage:
        for path in _CACHED:
            value = container
            for key in path:
                value = _get(value, key)
            cached = _as_count(value)
            if cached is not None:
                usage["cached_tokens"] = cached
                break
    return usage


def usage_from(result: Any) -> tuple[dict[str, int], str | None]:
    """``(usage, model)`` found on an LLM call's return value; empty usage when none."""
    if result is None or issubclass(type(result), str | bytes | int | float | list | tuple):
        return {}, None
    usage_obj = _get(result, "usage")
    if usage_obj is None:
        usage_obj = _get(result, "usage_metadata")
    model = _get(result, "model")
    usage = read_usage(usage_obj) if usage_obj is not None else {}
    return usage, model if type(model) is str else None
