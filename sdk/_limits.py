"""Bounds the SDK keeps what it sends within, so the receiver can store and read it back.

No imports: the caller's side may use these without loading anything.
"""

from __future__ import annotations

from typing import Any

MAX_INT = 2**63 - 1
"""Largest integer sent as a JSON number (SQLite and most stores hold signed 64-bit integers)."""
MIN_INT = -(2**63)

MAX_TOKENS = 10**12
"""Largest token count sent, and largest ``prompt_tokens + completion_tokens``: exact as a
JSON number in every client, and sums over millions of runs fit 64-bit integers. A larger (or negative, or non-integer) count is left out.
The receiver's ``observatory.protocol.MAX_TOKENS`` must be the same."""

MAX_NESTING = 64
"""Levels of objects and arrays in one event, the event object being level 1 (the
receiver's ``observatory.protocol.MAX_NESTING``: it cuts anything deeper)."""

MAX_DEPTH = MAX_NESTING - 2
"""Levels kept of one recorded value (``input``, ``output``, ``metadata``, a custom
field): it sits at level 2 of its event, and the truncation marker that replaces the
next level must fit within :data:`MAX_NESTING` too."""


def token_count(value: Any) -> int | None:
    """``value`` as a token count, or None when it is not one.

    A count is a whole number from 0 to :data:`MAX_TOKENS`: an ``int`` (not a
    ``bool``) or an integral ``float`` (some APIs report ``12.0``).
    """
    kind = type(value)
    if kind is not int and kind is not bool and issubclass(kind, int):
        value, kind = int.__int__(value), int  # an int subclass's own __int__ is never called
    if kind is int:
        return value if 0 <= value <= MAX_TOKENS else None
    if kind is float and value == value and 0 <= value <= MAX_TOKENS and value == int(value):
        return int(value)
    return None
