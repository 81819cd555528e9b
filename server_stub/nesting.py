"""Nesting depth of JSON: a fast check on the text, and a cut on parsed values.

Values nested hundreds of levels deep break every encoder on the way out
limit), so the receiver stores nothing deeper than
:data:`observatory.protocol.MAX_NESTING`: deeper parts become a marker object.
Counting brackets in an event's JSON text rules out almost every event at once;
the exact check and the walk over parsed values run only for the rare rest.
"""

from __future__ import annotations

import json
import re
from typing import Any

from observatory.protocol import MAX_NESTING, TRUNCATION_MARKER

from .folding import dumps

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` (already known to be valid) nests objects or
    arrays more than ``limit`` levels deep. Each pass removes exactly one level
    (the innermost pairs), so the loop runs at most ``limit`` times, and only as
    often as the text is deep."""
    if text.count("[") + text.count("{") <= limit:  # too few brackets to be that deep
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(limit):
        if not brackets:
            return False
        brackets = _INNERMOST.sub("", brackets)
    return bool(brackets)


def cut(value: Any, limit: int, level: int = 1) -> Any:
    """``value`` with every object or array below ``limit`` levels (``value`` itself
    is at ``level``) replaced by a marker saying so. Iterative over siblings,
    recursive only as deep as ``limit``."""
    if not isinstance(value, dict | list):
        return value
    if level > limit:
        return {TRUNCATION_MARKER: True, "reason": f"nested deeper than {limit} levels"}
    if isinstance(value, dict):
        return {k: cut(v, limit, level + 1) for k, v in value.items()}
    return [cut(v, limit, level + 1) for v in value]


def bounded(value: Any, limit: int = MAX_NESTING) -> tuple[Any, str]:
    """``(value, its JSON text)``, with what nests deeper than ``limit`` levels cut."""
    try:
        text: str | None = dumps(value)
    except RecursionError:  # deeper than the stdlib encoder goes (orjson failed first)
        text = None
    if text is None or deeper_than(text, limit + 1):  # + the marker object's level
        value = cut(value, limit)
        text = dumps(value)
    return value, text


def loads(text: str, limit: int = MAX_NESTING) -> Any:
    """A stored JSON value, cut to ``limit`` levels if it is deeper (stored before
    the receiver bounded nesting on ingest)."""
    value = json.loads(text)
    if deeper_than(text, limit + 1):
        value = cut(value, limit)
    return value
