"""``track_event()``: custom events, and the checks for the three with meaning.

``saved`` (``run_id``), ``chat`` (``role``, ``content``, optional ``thread_id``)
and ``feedback`` (``run_id`` or ``message_id``, ``rating`` positive/negative,
optional ``comment``) are checked on the caller's thread with a few cheap
tests; a malformed one is logged and dropped (counted as ``invalid``), never
raised. Everything else is sent as given, fields at the top level.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from ._context import current_run_var, request_context_var
from ._run import Run
from ._state import get_client

logger = logging.getLogger("observatory")

ROLES = ("user", "assistant", "system", "tool", "developer")
RATINGS = ("positive", "negative")
RESERVED = ("event_id", "app_id")
_last_warning: dict[str, float] = {}


def _shown(value: Any) -> str:
    """``value`` for a warning: the repr of a plain value, else its type (a user's repr is not run)."""
    if type(value) in (str, int, float, bool, type(None)):
        text = repr(value) if type(value) is not int or abs(value) < 10**100 else "a huge int"
        return text if len(text) <= 80 else text[:77] + "..."
    return f"a {type(value).__name__}"


def _problem(name: str, fields: dict[str, Any]) -> str | None:
    """What is wrong with a meaningful custom event, or None.

    Fields are only compared by type and to strings: a user object's __eq__,
    __bool__ or __repr__ is never run."""
    if type(name) is not str or not name:
        return "the event name must be a non-empty string"
    if name in ("saved", "feedback"):
        target = fields.get("run_id")
        if type(target) is Run:
            fields["run_id"] = target = target.run_id
        if name == "feedback" and target is None and type(fields.get("message_id")) is str and fields["message_id"]:
            pass
        elif type(target) is not str or not target:
            return f"{name} needs run_id= (a run's id, e.g. observatory.current_run().run_id)" + (
                " or message_id= (a chat message's id)" if name == "feedback" else ""
            )
    if name == "feedback":
        rating = fields.get("rating")
        if type(rating) is not str or rating not in RATINGS:
            return f"feedback needs rating='positive' or 'negative', got {_shown(rating)}"
        comment = fields.get("comment")
        if comment is not None and type(comment) is not str:
            return "feedback comment must be a string"
    elif name == "chat":
        role = fields.get("role")
        if type(role) is not str or role not in ROLES:
            return f"chat needs role= one of {', '.join(ROLES)}, got {_shown(role)}"
        if fields.get("content") is None:
            return "chat needs content="
        thread_id = fields.get("thread_id")
        if thread_id is not None and type(thread_id) is not str:
            return "chat thread_id must be a string"
    return None


def _warn(name: str, problem: str) -> None:
    now = time.monotonic()
    if now - _last_warning.get(problem, -60.0) >= 60.0:
        _last_warning[problem] = now
        logger.warning("observatory: dropped %r event: %s", name, problem)


def _event_time(value: Any) -> float:
    """``timestamp=`` as Unix seconds: a number or an aware datetime; now otherwise."""
    if value is None:
        return time.time()
    kind = type(value)
    if kind is int or kind is float:
        return float(value)
    # A datetime was passed only if the datetime module is loaded: not imported here for nothing.
    dt = sys.modules.get("datetime")
    if dt is not None and issubclass(kind, dt.datetime) and dt.datetime.utcoffset(value) is not None:
        return float(dt.datetime.timestamp(value))
    logger.debug("observatory: ignoring timestamp= %s (use Unix seconds or an aware datetime)", _shown(value))
    return time.time()


def track_event(name: str, **fields: Any) -> None:
    """Queue a custom event; ``fields`` become top-level event fields.

    The current run (if any) becomes its ``parent_run_id`` (a ``parent_run_id=``
    field overrides it), and the current ``observatory.context()`` applies.
    ``timestamp=`` (Unix seconds or an aware datetime) sets the event's time,
    e.g. replay-safe workflow time. Never raises.
    """
    try:
        client = get_client()
        if not client.enabled:
            return
        if type(name) is not str or name in ("saved", "feedback", "chat") or not name:
            problem = _problem(name, fields)
            if problem is not None:
                client.stats.drop("invalid")
                _warn(name if type(name) is str else _shown(name), problem)
                return
        when = _event_time(fields.pop("timestamp", None))
        for key in RESERVED:
            fields.pop(key, None)
        parent = current_run_var.get()
        client.put_custom(name, fields, parent, request_context_var.get(), when)
    except Exception:
        logger.debug("observatory: track_event failed", exc_info=True)
