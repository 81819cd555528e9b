"""Framework id -> run: the pairing every mapper needs.

A framework announces a step's start and end as two callbacks that share an id
(LangChain's ``run_id`` UUID, an Agents SDK ``span_id``). :class:`RunMap`
keeps the open run under that id until its end arrives, resolves a
framework parent id to our run, and lets steps that are not runs (LangGraph's
hidden plumbing, an Agents handoff span) stand in for their parent so their
children still nest correctly.

Thread-safe: one small lock around dict operations, never held while the SDK
works. Bounded: a framework that never reports an end (a crashed stream, a
callback raised away by someone else) cannot grow the map forever; the oldest
open entries are dropped past ``max_open``.

Activation: :meth:`RunMap.start` can make the new run current (the SDK's
``current_run_var``) so that ``@observatory.*`` code the framework calls nests
under it. Ends do not always arrive in start order or in the start's context
(LangChain's ``batch`` starts every input before running any; an abandoned
stream is closed wherever it is collected), so "current" is not restored with
``ContextVar.reset``: an ending run that is current hands over to its nearest
still-open predecessor, and a run that is not current leaves the variable alone.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import observatory
from observatory.instrumentation import current_run_var, read_usage

logger = logging.getLogger("observatory.integrations")

_UNSET: Any = ...

DEFAULT_MAX_OPEN = 10_000
"""Open runs kept per mapper; a run still open after this many newer ones is forgotten."""


class Entry:
    """One open framework step: our run (or the run it stands in for) and its activation."""

    __slots__ = ("run", "alias", "active", "prev", "base", "extra")

    def __init__(self, run: Any, alias: bool) -> None:
        self.run = run
        self.alias = alias
        self.active = False
        self.prev: Entry | None = None  # the activated entry that was current before this one
        self.base: Any = None  # the run current before this map's activations began
        self.extra: Any = None


class RunMap:
    """Open runs by framework id (any hashable key)."""

    def __init__(self, max_open: int = DEFAULT_MAX_OPEN) -> None:
        self._open: OrderedDict[Any, Entry] = OrderedDict()
        self._active: dict[int, Entry] = {}  # id(run) -> entry, for runs made current
        self._lock = threading.Lock()
        self.max_open = max_open
        self.forgotten = 0
        """Runs dropped unended because ``max_open`` was reached."""

    def __len__(self) -> int:
        return len(self._open)

    def parent_of(self, parent_key: Any) -> Any:
        """Our run for a framework parent id; for a root (or an unknown id), the current run.

        A run this map made current does not count as "the current run" here:
        the framework said this step has no parent of its own, so siblings
        started back to back (LangChain's ``batch`` starts them all before
        running any) must not nest under each other.
        """
        if parent_key is not None:
            entry = self._open.get(parent_key)
            if entry is not None:
                return entry.run
        current = current_run_var.get()
        if current is not None:
            entry = self._active.get(id(current))
            if entry is not None and entry.run is current:
                return entry.base
        return current

    def _activate(self, entry: Entry) -> None:
        current = current_run_var.get()
        prev = self._active.get(id(current)) if current is not None else None
        if prev is not None and prev.run is current:
            entry.prev, entry.base = prev, prev.base
        else:
            entry.base = current
        entry.active = True
        self._active[id(entry.run)] = entry
        current_run_var.set(entry.run)

    def _deactivate(self, entry: Entry) -> None:
        # Not ContextVar.reset(): ends arrive out of order (a batch ends its
        # runs first to last) and sometimes from another context. Only if our
        # run is current here, hand "current" back to the nearest still-active
        # predecessor, or to what was current before this map's runs.
        entry.active = False
        if self._active.get(id(entry.run)) is entry:
            del self._active[id(entry.run)]
        if current_run_var.get() is entry.run:
            prev = entry.prev
            while prev is not None and not prev.active:
                prev = prev.prev
            current_run_var.set(prev.run if prev is not None else entry.base)
        entry.prev = None

    def start(
        self,
        key: Any,
        run_type: str,
        name: str,
        *,
        parent: Any = _UNSET,
        activate_run: bool = False,
        agent: str | None = None,
        defer_start: bool = False,
        **fields: Any,
    ) -> Entry:
        """Start a run for framework step ``key`` and remember it until :meth:`end`.

        ``parent`` is a run, a run id string, None (root) or left out (the
        current run). ``fields`` go to :func:`observatory.start_run`.
        ``defer_start``: the run exists (children nest under it) but its start
        event waits for :func:`send_start`, for frameworks that fill a step's
        input only after announcing it.
        """
        if parent is _UNSET:
            parent = current_run_var.get()
        if defer_start:
            run = deferred_run(run_type, name, parent=parent, **fields)
        else:
            run = observatory.start_run(run_type, name, parent=parent, **fields)
        if agent is not None and run and run_type != "agent" and getattr(run, "agent", None) is None:
            run.agent = agent
        entry = Entry(run, alias=False)
        if activate_run and run:
            self._activate(entry)
        self._put(key, entry)
        return entry

    def alias(self, key: Any, parent_key: Any) -> None:
        """Let step ``key``, which is not a run, stand in for its parent's run."""
        run = self.parent_of(parent_key)
        if run is not None:
            self._put(key, Entry(run, alias=True))

    def get(self, key: Any) -> Entry | None:
        """The open entry for ``key``, if any."""
        return self._open.get(key)

    def pop(self, key: Any) -> Entry | None:
        """Forget ``key`` and return its entry (deactivated); None if unknown."""
        with self._lock:
            entry = self._open.pop(key, None)
        if entry is not None and entry.active:
            self._deactivate(entry)
        return entry

    def end(self, key: Any, output: Any = None, **kwargs: Any) -> Entry | None:
        """End the run opened for ``key`` (``kwargs`` as for ``Run.end``); aliases just close."""
        entry = self.pop(key)
        if entry is not None and not entry.alias:
            entry.run.end(output, **kwargs)
        return entry

    def _put(self, key: Any, entry: Entry) -> None:
        with self._lock:
            self._open[key] = entry
            if len(self._open) <= self.max_open:
                return
            _, oldest = self._open.popitem(last=False)
            self.forgotten += 1
        if self.forgotten == 1 or self.forgotten % 1000 == 0:
            logger.warning(
                "observatory: %d framework steps never reported their end; the oldest were forgotten",
                self.forgotten,
            )
        if oldest.active:
            self._deactivate(oldest)


def guarded(fn: Any) -> Any:
    """Run ``fn`` and swallow (log) anything it raises: mappers never raise into frameworks."""
    import functools

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception:
            logger.debug("observatory: %s failed", fn.__qualname__, exc_info=True)
            return None

    return call


def event_on(run: Any, name: str, **fields: Any) -> None:
    """A custom event whose parent is ``run`` (not necessarily the current run)."""
    if run is None or isinstance(run, str):
        if isinstance(run, str):
            fields.setdefault("parent_run_id", run)
        observatory.track_event(name, **fields)
        return
    token = current_run_var.set(run)
    try:
        observatory.track_event(name, **fields)
    finally:
        current_run_var.reset(token)


def deferred_run(run_type: str, name: str, *, parent: Any, run_id: str | None = None,
                 input: Any = None, model: str | None = None, metadata: Mapping[str, Any] | None = None,
                 start_time: float | None = None) -> Any:
    """A run whose start event is not sent yet (see :func:`send_start`)."""
    return observatory.start_run(
        run_type, name, parent=parent, run_id=run_id, input=input, model=model,
        metadata=metadata, start_time=start_time, send_start=False,
    )


def send_start(run: Any) -> None:
    """Send the start event of a :func:`deferred_run`."""
    run.send_start()


def resume_run(run_type: str, name: str, run_id: str, parent: Any) -> Any:
    """A handle on a run whose start was reported elsewhere (another worker), to end it here."""
    return observatory.start_run(run_type, name, parent=parent, run_id=run_id, send_start=False)


def usage_counts(container: Any) -> tuple[int | None, int | None, int | None] | None:
    """``(prompt, completion, total)`` from a usage mapping or object, in any provider's
    spelling (the SDK's one parser, ``observatory.instrumentation.read_usage``); None if absent."""
    usage = read_usage(container)
    if not usage:
        return None
    return usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens")
