"""``observatory runs ...`` and ``observatory threads ...``: read a receiver from the terminal.

They talk HTTP through :class:`observatory.Client`, so they work against a local
or a remote receiver (``--url``/``--key``, else ``OBSERVATORY_API_URL``/
``OBSERVATORY_API_KEY``). Tables, trees and progress use ``rich``, imported only
by the commands that draw them. Exit codes: 0 done, 1 the receiver could not
answer (unreachable, not found), 2 a bad value (ours or the receiver's), 130
interrupted; every error is one line on stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from observatory import Client
    from observatory.api_models import Run

TREE_MAX_RUNS = 2000
"""Runs drawn by ``runs show`` at most (one request per run drawn)."""
TAIL_FIRST_PAGE = 100
TAIL_MAX_BATCH = 10_000
"""Runs ``runs tail`` reads per poll at most (a burst beyond it is skipped, not buffered)."""


# -- argument types: a bad value is argparse's one-line error ------------------------------

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _moment(text: str) -> datetime:
    """ISO-8601 (naive means UTC) or an age like ``30m``, ``2h``, ``7d`` (before now)."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        seconds = float(relative.group(1)) * _UNITS[relative.group(2)]
        return datetime.now(UTC) - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO-8601 time (2026-05-29T08:00:00Z) or an age (30m, 2h, 7d), got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


# every filter of GET /api/run/ (queries.FILTERS) as an option: (flags, keyword, add_argument kwargs)
FILTER_OPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("--status", "status", {"choices": ("started", "success", "error"), "help": "run status"}),
    ("--type", "type", {"choices": ("agent", "llm", "tool", "span"), "help": "run type"}),
    ("--model", "model", {"help": "exact model name"}),
    ("--agent", "agent", {"help": "exact agent name"}),
    ("--user-email", "user_email", {"help": "exact user email"}),
    ("--app-id", "app_id", {"help": "exact app id"}),
    ("--release", "release", {"help": "exact release (version or git sha)"}),
    ("--parent-run-id", "parent_run_id", {"help": "direct children of this run"}),
    ("--trace-id", "trace_id", {"help": "every run of this trace (32 hex digits)"}),
    ("--min-latency", "min_latency_s", {"type": _number, "metavar": "SECONDS",
                                        "help": "latency at least this many seconds"}),
    ("--max-latency", "max_latency_s", {"type": _number, "metavar": "SECONDS",
                                        "help": "latency at most this many seconds"}),
    ("--min-cost", "min_cost", {"type": _number, "metavar": "USD",
                                "help": "cost including child runs at least this many USD"}),
    ("--max-cost", "max_cost", {"type": _number, "metavar": "USD",
                                "help": "cost including child runs at most this many USD"}),
    ("--tag", "tags", {"action": "append", "metavar": "TAG",
                       "help": "runs with this tag (repeat: any of them)"}),
    ("--from", "from_", {"type": _moment, "metavar": "TIME",
                         "help": "started at or after TIME: ISO-8601 (UTC if no offset) or an "
                                 "age such as 30m, 2h, 7d"}),
    ("--to", "to", {"type": _moment, "metavar": "TIME",
                    "help": "started at or before TIME (same forms as --from)"}),
]


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {key: getattr(args, key) for _, key, _ in FILTER_OPTIONS if getattr(args, key) is not None}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit code 2)."""

    def error(self, message: str) -> Any:  # argparse's signature says NoReturn
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


# -- output helpers -------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _latency(run: Run) -> str:
    return "-" if run.latency_s is None else f"{run.latency_s:.2f}s"


def _tokens(run: Run) -> str:
    return "-" if run.total_tokens is None else f"{run.total_tokens:,}"


def _cost(value: float | None) -> str:
    return "-" if not value else f"${value:.4f}" if value >= 0.0001 else f"${value:.2e}"


def _console(stderr: bool = False) -> Any:
    try:
        from rich.console import Console
    except ImportError:  # pragma: no cover - rich is in the cli/all/dev extras
        raise SystemExit(
            "observatory: tables need the 'rich' package: pip install 'observatory-sdk[cli]'"
        ) from None
    stream = sys.stderr if stderr else sys.stdout
    # piped output keeps whole ids: no terminal width to fit
    return Console(file=stream, width=None if stream.isatty() else 400, highlight=False)


def _json_out(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _client(args: argparse.Namespace) -> Client:
    from observatory import Client

    return Client(args.url, args.key)


# -- runs ---------------------------------------------------------------------------------


def cmd_runs_list(args: argparse.Namespace) -> int:
    """A table of the newest runs that match."""
    with _client(args) as client:
        found = list(
            itertools.islice(client.runs(page_size=min(args.limit, 1000), **_filters(args)),
                             args.limit)
        )
    if args.json:
        _json_out([run.model_dump(mode="json") for run in found])
        return 0
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for title, justify in (("time (UTC)", "left"), ("name", "left"), ("type", "left"),
                           ("status", "left"), ("latency", "right"), ("tokens", "right"),
                           ("cost (USD)", "right"), ("run id", "left")):
        # on a narrow terminal the name folds onto more lines; ids stay whole (to copy)
        table.add_column(title, justify=justify, no_wrap=title != "name",  # type: ignore[arg-type]
                         overflow="fold" if title == "name" else "ellipsis",
                         min_width=max((len(r.run_id) for r in found), default=6)
                         if title == "run id" else 8 if title == "name" else None)
    for run in found:
        table.add_row(_when(run.start_time), run.name or "-", run.type, _status(run.status),
                      _latency(run), _tokens(run), _cost(run.subtree_cost), run.run_id)
    console = _console()
    console.print(table)
    if not found:
        console.print("no runs match")
    return 0


def _status(status: str) -> str:
    colour = {"success": "green", "error": "red", "started": "yellow"}.get(status)
    return f"[{colour}]{status}[/]" if colour else status


def _label(run: Run) -> str:
    from rich.markup import escape

    parts = [f"[bold]{escape(run.name or run.run_id)}[/]", run.type, _status(run.status),
             _latency(run), f"{_tokens(run)} tokens", _cost(run.cost)]
    if run.model:
        parts.append(escape(run.model))
    if run.error is not None:
        parts.append(f"[red]{escape(_short(run.error))}[/]")
    return "  ".join(parts)


def _short(value: Any, width: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_runs_show(args: argparse.Namespace) -> int:
    """The run's trace tree: every run under it with latency, tokens, cost, status."""
    with _client(args) as client:
        detail = client.run(args.run_id)
        if args.json:
            _json_out(detail.model_dump(mode="json"))
            return 0
        from rich.tree import Tree

        root = Tree(_label(detail) + f"  (subtree {_cost(detail.subtree_cost)})")
        budget = [TREE_MAX_RUNS]
        _grow(client, root, detail.children, budget)
    console = _console()
    console.print(root)
    console.print(f"run {detail.run_id}  started {_when(detail.start_time)} UTC  "
                  f"feedback {len(detail.feedback)}  saved {'yes' if detail.saved else 'no'}")
    if budget[0] <= 0:
        console.print(f"(only the first {TREE_MAX_RUNS} runs are drawn)")
    return 0


def _grow(client: Client, node: Any, children: Iterable[Run], budget: list[int]) -> None:
    for child in children:
        if budget[0] <= 0:
            return
        budget[0] -= 1
        branch = node.add(_label(child))
        grandchildren = list(client.runs(parent_run_id=child.run_id, page_size=1000))
        grandchildren.sort(key=lambda r: (r.start_time or datetime.min.replace(tzinfo=UTC)))
        _grow(client, branch, grandchildren, budget)


def _tail_line(run: Run) -> str:
    return (f"{_when(run.start_time)}  {run.type:<5}  {run.status:<7}  {_latency(run):>8}  "
            f"{_tokens(run):>8}  {_cost(run.subtree_cost):>10}  {run.name or '-'}  {run.run_id}")


def cmd_runs_tail(args: argparse.Namespace) -> int:
    """Print matching runs as they arrive (by start time), until interrupted."""
    filters = _filters(args)
    since: datetime | None = filters.pop("from_", None)
    emit: Callable[[Run], str] = (lambda run: run.model_dump_json()) if args.json else _tail_line

    def poll(limit: int) -> list[Run]:
        after = {"from_": since} if since else {}
        return list(itertools.islice(
            client.runs(page_size=min(limit, 1000), **filters, **after), limit
        ))

    with _client(args) as client:
        # a page at least, so runs stored just before we started are known, not "new"
        known = poll(max(args.last, TAIL_FIRST_PAGE))
        fresh = known[: args.last]
        while True:
            for run in sorted(fresh, key=_started):
                print(emit(run), flush=True)
            if known:
                newest = max(_started(r) for r in known)
                since = newest if since is None else max(since, newest)
            # ``from`` is inclusive: what was read at the watermark comes back next time
            seen = {r.run_id for r in known}
            time.sleep(args.interval)
            known = poll(TAIL_MAX_BATCH)
            fresh = [r for r in known if r.run_id not in seen]


def _started(run: Run) -> datetime:
    return run.start_time or run.end_time or datetime.min.replace(tzinfo=UTC)


def cmd_runs_export(args: argparse.Namespace) -> int:
    """NDJSON of every matching run, to a file or stdout."""
    with _client(args) as client:
        if args.output is None:
            count = client.export_to(sys.stdout.buffer, **_filters(args))
            sys.stdout.flush()
            return 0
        if not sys.stderr.isatty():
            client.export_to(args.output, **_filters(args))
            return 0
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn("{task.completed:,} runs"), TimeElapsedColumn(),
                      console=_console(stderr=True), transient=True) as progress:
            task = progress.add_task("export", total=None)
            count = client.export_to(args.output, **_filters(args),
                                     on_progress=lambda n: progress.update(task, completed=n))
        _console(stderr=True).print(f"wrote {count:,} runs to {args.output}")
    return 0


# -- threads ------------------------------------------------------------------------------


def cmd_threads_list(args: argparse.Namespace) -> int:
    """A table of conversations, most recently active first."""
    with _client(args) as client:
        found = list(itertools.islice(
            client.threads(agent=args.agent, user_email=args.user_email,
                           page_size=min(args.limit, 1000)),
            args.limit,
        ))
    if args.json:
        _json_out([t.model_dump(mode="json") for t in found])
        return 0
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for title, justify in (("last active (UTC)", "left"), ("messages", "right"),
                           ("agent", "left"), ("user", "left"), ("thread id", "left")):
        # ids of threads grouped by the receiver are long: they fold rather than shrink the rest
        wraps = title in ("agent", "user", "thread id")
        table.add_column(title, justify=justify, no_wrap=not wraps,  # type: ignore[arg-type]
                         overflow="fold" if wraps else "ellipsis")
    for t in found:
        table.add_row(_when(t.last_time), str(t.message_count), t.agent or "-",
                      t.user_email or "-", t.thread_id)
    console = _console()
    console.print(table)
    if not found:
        console.print("no threads")
    return 0


_ROLE_STYLE = {"user": "bold cyan", "assistant": "bold green", "system": "bold magenta",
               "tool": "bold yellow", "developer": "bold magenta"}


def cmd_threads_show(args: argparse.Namespace) -> int:
    """The conversation, message by message, by role."""
    with _client(args) as client:
        thread = client.thread(args.thread_id)
    if args.json:
        _json_out(thread.model_dump(mode="json"))
        return 0
    from rich.markup import escape

    console = _console()
    for msg in thread.messages:
        style = _ROLE_STYLE.get(msg.role, "bold")
        notes = "  ".join(f"[{'green' if f.rating == 'positive' else 'red'}]{f.rating}"
                          f"{': ' + escape(f.comment) if f.comment else ''}[/]" for f in msg.feedback)
        console.print(f"[{style}]{escape(msg.role)}[/]  [dim]{_when(msg.timestamp)}"
                      f"{'  run ' + escape(msg.run_id) if msg.run_id else ''}[/]  {notes}")
        body = msg.content if isinstance(msg.content, str) else json.dumps(
            msg.content, indent=2, ensure_ascii=False)
        console.print("  " + escape(body).replace("\n", "\n  "), soft_wrap=True)
    console.print(f"[dim]{len(thread.messages)} messages in {escape(thread.thread_id)}[/]")
    return 0


# -- wiring -------------------------------------------------------------------------------


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Receiver errors as one line on stderr; Ctrl-C as exit code 130, no traceback."""

    def run(args: argparse.Namespace) -> int:
        from observatory import AuthError, InvalidRequest, ObservatoryError

        name = f"observatory {args.command} {getattr(args, 'sub_cmd', '')}".strip()
        try:
            return command(args)
        except KeyboardInterrupt:
            return 130
        except (InvalidRequest, AuthError, ValueError) as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 2
        except ObservatoryError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 1

    return run


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=None,
                        help="receiver address (default: $OBSERVATORY_API_URL or http://127.0.0.1:8787)")
    parser.add_argument("--key", default=None,
                        help="API key sent as a Bearer token (default: $OBSERVATORY_API_KEY)")


def _run_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (all must match)")
    for flag, key, options in FILTER_OPTIONS:
        group.add_argument(flag, dest=key, default=None, **options)


def register(sub: Any) -> None:
    """Add ``runs`` and ``threads`` to the ``observatory`` command's subparsers."""
    runs = sub.add_parser("runs", help="list, show, follow and export runs of a receiver")
    runs_sub = runs.add_subparsers(dest="sub_cmd", required=True, metavar="{list,show,tail,export}",
                                   parser_class=OneLineParser)

    lst = runs_sub.add_parser("list", help="table of the newest matching runs",
                              description="Newest matching runs first: start time, name, type, "
                                          "status, latency (s), tokens, cost (USD, incl. children).")
    _run_filters(lst)
    lst.add_argument("--limit", type=_count, default=20, metavar="N",
                     help="show at most N runs (default 20)")
    lst.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    _connection(lst)
    lst.set_defaults(func=_guarded(cmd_runs_list))

    show = runs_sub.add_parser("show", help="a run's trace tree",
                               description="The run and every run under it, with latency (s), "
                                           "tokens, cost (USD) and status.")
    show.add_argument("run_id", help="id of the run")
    show.add_argument("--json", action="store_true",
                      help="print the run (events, direct children, feedback) as JSON")
    _connection(show)
    show.set_defaults(func=_guarded(cmd_runs_show))

    tail = runs_sub.add_parser("tail", help="follow new runs until interrupted (Ctrl-C)",
                               description="Print the last matching runs, then each new one as "
                                           "it arrives (by start time), one line per run.")
    _run_filters(tail)
    tail.add_argument("--last", type=int, default=10, metavar="N",
                      help="runs shown before following (default 10; 0 for none)")
    tail.add_argument("--interval", type=_seconds, default=1.0, metavar="SECONDS",
                      help="seconds between polls of the receiver (default 1)")
    tail.add_argument("--json", action="store_true", help="one JSON object per line (NDJSON)")
    _connection(tail)
    tail.set_defaults(func=_guarded(cmd_runs_tail))

    export = runs_sub.add_parser("export", help="every matching run as NDJSON",
                                 description="One JSON run per line, newest first, streamed from "
                                             "the receiver; progress on a terminal with -o.")
    _run_filters(export)
    export.add_argument("-o", "--output", default=None, metavar="FILE",
                        help="write to FILE instead of stdout")
    _connection(export)
    export.set_defaults(func=_guarded(cmd_runs_export))

    threads = sub.add_parser("threads", help="list and show conversations of a receiver")
    threads_sub = threads.add_subparsers(dest="sub_cmd", required=True, metavar="{list,show}",
                                         parser_class=OneLineParser)
    tlist = threads_sub.add_parser("list", help="table of conversations, most recent first")
    tlist.add_argument("--agent", default=None, help="only this agent's threads")
    tlist.add_argument("--user-email", default=None, help="only this user's threads")
    tlist.add_argument("--limit", type=_count, default=20, metavar="N",
                       help="show at most N threads (default 20)")
    tlist.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    _connection(tlist)
    tlist.set_defaults(func=_guarded(cmd_threads_list))

    tshow = threads_sub.add_parser("show", help="a conversation, message by message")
    tshow.add_argument("thread_id", help="id of the thread (as `threads list` shows it)")
    tshow.add_argument("--json", action="store_true", help="print the thread as JSON")
    _connection(tshow)
    tshow.set_defaults(func=_guarded(cmd_threads_show))


def version() -> str:
    """``observatory X.Y.Z`` for ``--version``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return f"observatory {dist_version('observatory-sdk')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from observatory import __version__

        return f"observatory {__version__}"
