"""Bounds the SDK keeps what it sends within, so the receiver can store and read it back.

No imports: the caller's side may use these without loading anything.
"""

from __future__ import annotations

from typing import Any

MAX_INT = 2**63 - 1
"""Largest integer sent as a JSON number (SQLite and most stores hold signed 64-bit integers)."""
MIN_INT = -(2**63)

MAX_TOKENS = MAX_INT
"""Largest token count sent; a larger (or negative, or non-integer) count is dropped."""

MAX_DEPTH = 64
"""Nesting levels of one recorded value (an argument, a return value, a metadata value)
kept; deeper levels are replaced by a truncation marker."""


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
