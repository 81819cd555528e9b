"""Time-ordered 128-bit ids made without a syscall on the caller's thread.

``uuid.uuid4()`` reads ``os.urandom``, which releases the GIL; with the
background thread busy, getting it back can cost milliseconds. Here the
caller's thread only takes the next value of a counter that starts at a
random 62-bit base (drawn once per process, and again in a forked child). The
UUIDv7-shaped text is made later, mostly on the background thread, from that
value and the creation time: 48 bits of milliseconds, version 7, 12 bits of
the counter, the variant, and the 62 bits of base + counter. Unique across
processes by the random base, ordered by time within one.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time

_MASK_62 = (1 << 62) - 1
_VERSION_7 = 0x7000
_VARIANT = 0x8000000000000000

counter = itertools.count()
"""Next id value: ``next(_ids.counter)`` (replaced by :func:`reseed`)."""


def reseed() -> None:
    """Start the counter at a new random base (at import and in a forked child)."""
    global counter
    counter = itertools.count(int.from_bytes(os.urandom(8), "big") & _MASK_62)


reseed()


def uuid_text(value: int, created: float) -> str:
    """The UUIDv7-shaped text of counter ``value`` taken at Unix time ``created``."""
    ms = int(created * 1000) & 0xFFFFFFFFFFFF
    hi = (ms << 16) | _VERSION_7 | (value & 0xFFF)
    lo = _VARIANT | (value & _MASK_62)
    h = f"{hi:016x}{lo:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def trace_hex(run_id: str) -> str:
    """A run id as a trace id: a UUID's 32 hex digits, else an MD5 of the id."""
    digits = run_id.replace("-", "").lower()
    if len(digits) == 32 and all(c in "0123456789abcdef" for c in digits):
        return digits
    return hashlib.md5(run_id.encode(), usedforsecurity=False).hexdigest()


def new_id_text(created: float | None = None) -> str:
    """A new id as text (for event ids, made on the background thread)."""
    return uuid_text(next(counter), time.time() if created is None else created)
