"""The ``observatory`` command: serve, demo, keys, costs, retention; and ``runs``,
``threads`` (reading a receiver over HTTP, in :mod:`.cli_read`).

Every command takes ``--db URL`` (default ``$OBSERVATORY_DB`` or
``sqlite:///./observatory.db``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from . import cli_read
from .cli_checks import check_db_url, check_port
from .settings import DEFAULT_HOST, DEFAULT_PORT, SYNCHRONOUS_CHOICES, Settings


def _when(us: int | None) -> str:
    if us is None:
        return "-"
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The store, created at the newest revision if empty; an older one is refused
    (StoreOutdated, answered by :func:`main` with one line)."""
    from . import costs, db

    database = db.open_database(Settings.from_env(db_url=args.db).db_url, upgrade=False)
    with database.store.setup_lock(), database.write.begin() as conn:
        costs.ensure_seeded(conn)
    return database


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the receiver in the foreground."""
    import logging

    import uvicorn

    from .app import create_app, open_receiver
    from .auth import is_loopback

    try:
        settings = Settings.from_env(
            db_url=args.db,
            host=args.host,
            port=args.port,
            sqlite_synchronous=args.sqlite_synchronous,
            max_body_bytes=args.max_body_bytes,
            workers=args.workers,
            upgrade=False if args.no_upgrade else None,
        )
    except ValueError as exc:  # a bad flag or OBSERVATORY_* value: say which, no traceback
        print(f"observatory serve: {exc}", file=sys.stderr)
        return 2
    try:  # before the app's startup creates and seeds the store
        check_port(settings.host, settings.port)
    except ValueError as exc:
        print(f"observatory serve: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not is_loopback(settings.host):
        print(
            f"observatory: listening on {settings.host}; until an API key exists "
            "(`observatory keys create --project NAME`) only loopback callers are served",
            file=sys.stderr,
        )
    # create or upgrade the store (or refuse an older one) before any worker starts
    open_receiver(settings).db.dispose()
    if settings.workers == 1:
        uvicorn.run(
            create_app(settings, own_process=True),
            host=settings.host,
            port=settings.port,
            log_level=args.log_level,
            access_log=args.access_log,
        )
        return 0
    os.environ.update(settings.to_env())
    uvicorn.run(
        "observatory.server.app:create_worker_app",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo agent against a fresh in-process receiver."""
    from .demo import run_demo

    return run_demo(Settings.from_env(db_url=args.db).db_url)


def cmd_keys(args: argparse.Namespace) -> int:
    """Create, list and revoke API keys."""
    from . import auth

    database = _open(args)
    try:
        if args.keys_cmd == "create":
            with database.write.begin() as conn:
                key_id, key = auth.create_key(conn, args.project)
            print(f"created key {key_id} for project {args.project!r}; it is shown only once:")
            print(key)
        elif args.keys_cmd == "list":
            with database.read.connect() as conn:
                rows = auth.list_keys(conn)
                required = auth.keys_required(conn)
            if not rows:
                print("no keys (only loopback callers are served)")
            elif not any(row["revoked_at"] is None for row in rows) and required:
                print(
                    "every key is revoked: no caller is served until `observatory keys create`"
                    " (or `observatory keys allow-keyless`)"
                )
            for row in rows:
                state = f"revoked {_when(row['revoked_at'])}" if row["revoked_at"] else "active"
                print(
                    f"{row['id']:>4}  {row['project']:<20} {row['prefix']}…  created {_when(row['created_at'])}  {state}"
                )
        elif args.keys_cmd == "allow-keyless":
            with database.write.begin() as conn:
                auth.allow_keyless(conn)
            print("loopback callers are served without a key again (until a key is created)")
        else:
            with database.write.begin() as conn:
                key_id = auth.revoke_key(conn, args.key)
                left = auth.any_active_key(conn)
            print(f"revoked key {key_id}")
            if not left:
                print(
                    "no active key is left: every caller is refused until `observatory keys "
                    "create` (or `observatory keys allow-keyless` to serve loopback without keys)"
                )
    except ValueError as exc:
        print(f"observatory keys: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    return 0


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def cmd_costs(args: argparse.Namespace) -> int:
    """List, set, delete prices; recompute stored costs."""
    from . import costs

    database = _open(args)
    try:
        if args.costs_cmd == "list":
            with database.read.connect() as conn:
                rows = costs.list_prices(conn)
            needle = (args.filter or "").lower()
            shown = [p for p in rows if needle in p.model.lower()]
            print(
                f"{'model':<48} {'input':>10} {'output':>10} {'cached':>10} {'total':>10}  source  (USD per 1M tokens)"
            )
            for p in shown:
                print(
                    f"{p.model:<48} {_money(p.input):>10} {_money(p.output):>10} "
                    f"{_money(p.cached_input):>10} {_money(p.total):>10}  {p.source}"
                )
            print(f"{len(shown)} of {len(rows)} rows")
        elif args.costs_cmd == "set":
            price = costs.Price(
                args.model, args.input, args.output, args.cached_input, args.total, "user"
            )
            with database.write.begin() as conn:
                costs.set_price(conn, price)
            print(
                f"set {args.model}: input {args.input:g}, output {args.output:g} USD per 1M tokens; "
                "run `observatory costs recalc` to reprice stored runs"
            )
        elif args.costs_cmd == "delete":
            with database.write.begin() as conn:
                if not costs.delete_price(conn, args.model):
                    print(f"observatory costs: no row named {args.model!r}", file=sys.stderr)
                    return 1
            print(f"deleted {args.model}")
        else:
            table = costs.CostTable()
            with database.write.begin() as conn:
                database.store.lock_store(conn, exclusive=True)  # no ingest meanwhile
                table.load(conn)
                changed = costs.recalc(conn, table)
            print(f"recalculated: {changed} runs changed")
    except ValueError as exc:
        print(f"observatory costs: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """Delete unsaved runs that started more than N days ago."""
    from .db import now_us
    from .retention import retain

    database = _open(args)
    try:
        counts = retain(database, args.days, now_us())
    finally:
        database.dispose()
    print(
        f"deleted {counts['runs']} runs, {counts['events']} events, {counts['messages']} messages, "
        f"{counts['feedback']} feedback older than {args.days:g} days (saved runs kept)"
    )
    return 0


def _nonneg(text: str) -> float:
    value = float(text)
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="SQLAlchemy URL (default: $OBSERVATORY_DB or sqlite:///./observatory.db)",
    )
    parser = argparse.ArgumentParser(prog="observatory", description="Observatory receiver")
    parser.add_argument("--db", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=cli_read.version())
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the receiver")
    serve.add_argument(
        "--host",
        default=None,
        metavar="HOST",
        help=f"interface to listen on (default $OBSERVATORY_HOST or {DEFAULT_HOST})",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="PORT",
        help=f"TCP port (default $OBSERVATORY_PORT or {DEFAULT_PORT})",
    )
    serve.add_argument(
        "--sqlite-synchronous",
        choices=SYNCHRONOUS_CHOICES,
        default=None,
        help="SQLite durability: normal survives process crashes, full also power loss "
        "(fsync per commit, slower); default $OBSERVATORY_SQLITE_SYNCHRONOUS or normal",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        metavar="BYTES",
        help="largest request body in bytes, counted after decompression "
        "(default $OBSERVATORY_MAX_BODY_BYTES or 5242880 = 5 MiB)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes sharing the port and the store (default 1; 2 on a 2-core machine "
        "roughly doubles ingest)",
    )
    serve.add_argument(
        "--no-upgrade",
        action="store_true",
        help="refuse an older store instead of upgrading it (`observatory db upgrade`)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug", "trace"),
        help="uvicorn's log level (default info)",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log one line per request (off by default)"
    )
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser(
        "demo", parents=[common], help="run a small instrumented agent and show the result"
    )
    demo.set_defaults(func=cmd_demo)

    keys = sub.add_parser("keys", help="API keys")
    keys_sub = keys.add_subparsers(dest="keys_cmd", required=True)
    create = keys_sub.add_parser(
        "create", parents=[common], help="new key (printed on the last line)"
    )
    create.add_argument(
        "--project", required=True, help="project the key reads and writes (created if new)"
    )
    keys_sub.add_parser("list", parents=[common], help="list keys (never the keys themselves)")
    revoke = keys_sub.add_parser(
        "revoke",
        parents=[common],
        help="revoke a key; keys stay required even when none is left",
    )
    revoke.add_argument(
        "key", help="the key's id, the key itself, or the start of its prefix (e.g. obs_TQXK)"
    )
    keys_sub.add_parser(
        "allow-keyless",
        parents=[common],
        help="once every key is revoked: serve loopback callers without a key again",
    )
    keys.set_defaults(func=cmd_keys)

    costs = sub.add_parser("costs", help="the cost table, USD per 1M tokens")
    costs_sub = costs.add_subparsers(dest="costs_cmd", required=True)
    lst = costs_sub.add_parser("list", parents=[common], help="show prices, USD per 1M tokens")
    lst.add_argument("--filter", help="only models whose name contains this text")
    setp = costs_sub.add_parser(
        "set",
        parents=[common],
        help="add or replace a model's prices (stored costs change after `costs recalc`)",
    )
    setp.add_argument("model", help="model name as events report it (e.g. gpt-4o-mini)")
    per_m = "USD per 1M tokens"
    setp.add_argument(
        "--input", type=_nonneg, required=True, metavar="USD", help=f"prompt tokens, {per_m}"
    )
    setp.add_argument(
        "--output", type=_nonneg, required=True, metavar="USD", help=f"completion tokens, {per_m}"
    )
    setp.add_argument(
        "--cached-input",
        type=_nonneg,
        default=None,
        metavar="USD",
        help=f"cached prompt tokens, {per_m} (default: the --input price)",
    )
    setp.add_argument(
        "--total",
        type=_nonneg,
        default=None,
        metavar="USD",
        help=f"for runs that report only a total token count, {per_m}",
    )
    dele = costs_sub.add_parser("delete", parents=[common], help="delete a model's row")
    dele.add_argument("model", help="exact model name of the row")
    costs_sub.add_parser(
        "recalc", parents=[common], help="recompute every stored run's cost with the table"
    )
    costs.set_defaults(func=cmd_costs)

    ret = sub.add_parser(
        "retention",
        parents=[common],
        help="delete unsaved runs (and their events, messages, feedback) older than --days",
    )
    ret.add_argument(
        "--days",
        type=_nonneg,
        required=True,
        metavar="DAYS",
        help="delete runs that started more than this many days ago (fractions allowed)",
    )
    ret.set_defaults(func=cmd_retention)
    cli_read.register(sub)  # runs, threads: read a receiver over HTTP

    from .cli_compare import register as register_compare

    register_compare(sub)  # compare, changes

    from .cli_db import add_parser as add_db_parser

    add_db_parser(sub, common)
    return parser


def _preflight(args: argparse.Namespace) -> None:
    """ValueError unless the store URL every command takes can be used (nothing is
    created before this passes)."""
    check_db_url(Settings.from_env(db_url=getattr(args, "db", None)).db_url)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``observatory`` console script."""
    from sqlalchemy.exc import DBAPIError

    from .migrate import StoreOutdated

    args = build_parser().parse_args(argv)
    try:
        _preflight(args)
    except ValueError as exc:
        print(f"observatory {args.command}: {exc}", file=sys.stderr)
        return 2
    try:
        result: int = args.func(args)
    except BrokenPipeError:  # `observatory costs list | head`
        sys.stderr.close()
        return 0
    except StoreOutdated as exc:  # one line, no traceback
        print(f"observatory {args.command}: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:  # e.g. a file that is not a database: one line, not a traceback
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        print(f"observatory {args.command}: cannot use the store: {reason}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
