"""``observatory compare`` and ``observatory changes``: clients of a running receiver.

They reach it over HTTP: ``--url``/``--key``, else the SDK's ``OBSERVATORY_API_URL``
and ``OBSERVATORY_API_KEY``. Exit codes: 0 done (policy passed, or no gate asked
for), 1 the policy failed under ``--fail-on-regression``, 2 a bad argument or a
request the receiver refused or could not answer (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from .compare import LABELS, METRICS, POLICY_KEYS, parse_window

EXIT_POLICY_FAILED = 1
EXIT_ERROR = 2


class CommandError(Exception):
    """Something to say on one line of stderr, then exit 2."""


# -- talking to the receiver ---------------------------------------------------------


def _target(args: argparse.Namespace) -> tuple[str, str | None]:
    from observatory._config import from_env

    config = from_env({"api_url": args.url, "api_key": args.key})
    return config.api_url, config.api_key


def call(
    args: argparse.Namespace,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
) -> Any:
    """One request to the receiver; its JSON answer, or :class:`CommandError`."""
    import httpx

    url, key = _target(args)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.request(
            method, url + path, params=params, json=body, headers=headers, timeout=120.0
        )
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach the receiver at {url}: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400:
        detail = answer.get("detail") if isinstance(answer, dict) else None
        if isinstance(detail, list):  # FastAPI's validation errors
            detail = "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}"
                for d in detail
                if isinstance(d, dict)
            )
        raise CommandError(
            f"the receiver answered {response.status_code}: {detail or response.text[:300]}"
        )
    if answer is None:
        raise CommandError(f"the receiver at {url} answered {path} with something other than JSON")
    return answer


# -- formatting ----------------------------------------------------------------------


def _value(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    if metric == "error_rate":
        return f"{value * 100:.2f}%"
    if metric == "tokens":
        return f"{value:,.1f}"
    return f"{value:.4g}"


def _change(metric: str, item: dict[str, Any]) -> str:
    diff = item["abs_diff"]
    if diff is None:
        return "-"
    if metric == "error_rate":
        return f"{diff * 100:+.2f} pp"
    text = f"{diff:+,.1f}" if metric == "tokens" else f"{diff:+.4g}"
    return text + (f" ({item['rel_diff'] * 100:+.1f}%)" if item["rel_diff"] is not None else "")


def _interval(metric: str, item: dict[str, Any]) -> str:
    if item["ci"] is None:
        return "-"
    low, high = item["ci"]
    if metric == "error_rate":
        return f"[{low * 100:+.2f}, {high * 100:+.2f}] pp"
    return f"[{low:+.4g}, {high:+.4g}]"


def _p(item: dict[str, Any]) -> str:
    return "-" if item["p_adjusted"] is None else f"{item['p_adjusted']:.3g}"


_HEADER = ("metric", "baseline", "candidate", "change", "95% CI of change", "p (Holm)", "verdict")


def _rows(result: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (
            LABELS[m],
            _value(m, result["metrics"][m]["baseline"]),
            _value(m, result["metrics"][m]["candidate"]),
            _change(m, result["metrics"][m]),
            _interval(m, result["metrics"][m]),
            _p(result["metrics"][m]),
            result["metrics"][m]["verdict"],
        )
        for m in METRICS
    ]


def _side(side: dict[str, Any]) -> str:
    name = side["release"] if side["release"] is not None else "all releases"
    if side["from"] or side["to"]:
        name += f" [{side['from'] or '…'}, {side['to'] or 'now'})"
    return f"{name} ({side['runs']} runs{', newest only' if side['truncated'] else ''})"


def _title(result: dict[str, Any]) -> str:
    scope = result["unit"] + "s" + (f" of agent {result['agent']}" if result["agent"] else "")
    around = ""
    if result.get("change"):
        change = result["change"]
        around = f" around {change['kind']} change {change['ref']} at {change['at']}"
    return f"{_side(result['baseline'])} -> {_side(result['candidate'])}; {scope}{around}"


def _notes(result: dict[str, Any]) -> list[str]:
    notes = []
    if any(result["metrics"][m]["verdict"] == "insufficient_data" for m in METRICS):
        notes.append(
            f"insufficient_data: fewer than {result['min_sample']} runs on a side; "
            "set min_runs in the policy to fail the gate on too little evidence"
        )
    return notes


def format_text(result: dict[str, Any]) -> str:
    """A fixed-width table for a terminal."""
    rows = [_HEADER, *_rows(result)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [f"compare {_title(result)}", ""]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    policy = result["policy"]
    lines += ["", "policy: " + ("passed" if policy["passed"] else "FAILED")]
    lines += [f"  - {reason}" for reason in policy["reasons"]]
    lines += [f"note: {note}" for note in _notes(result)]
    return "\n".join(lines)


def format_markdown(result: dict[str, Any]) -> str:
    """A pull-request comment: heading, table, policy and reasons."""
    policy = result["policy"]
    verdict = "✅ policy passed" if policy["passed"] else "❌ policy failed"
    lines = [f"### Observatory compare: {verdict}", "", _title(result), ""]
    lines.append("| " + " | ".join(_HEADER) + " |")
    lines.append("|" + "|".join(["---", *["---:"] * 5, "---"]) + "|")
    for row in _rows(result):
        cells = [*row[:-1], f"**{row[-1]}**" if row[-1] in ("regressed", "improved") else row[-1]]
        lines.append("| " + " | ".join(cells) + " |")
    if policy["reasons"]:
        lines += ["", *[f"- {reason}" for reason in policy["reasons"]]]
    lines += ["", *[f"_{note}_" for note in _notes(result)]] if _notes(result) else []
    lines += [
        "",
        f"<sub>{result['confidence']:.0%} intervals: bootstrap ({result['bootstrap']['resamples']} "
        "resamples, fixed seed) for latency, cost and tokens, Newcombe for the error rate; "
        "p-values Holm-adjusted across the five metrics.</sub>",
    ]
    return "\n".join(lines)


# -- commands ------------------------------------------------------------------------


def _iso_arg(text: str, name: str) -> str:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(
            f"{name} must be an ISO-8601 time like 2026-07-01T14:02:00Z, got {text!r}"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _compare_params(args: argparse.Namespace) -> dict[str, Any]:
    from .policy_file import load_policy

    params: dict[str, Any] = {}
    if args.around is not None:
        if args.baseline is not None:
            raise CommandError("give either BASELINE CANDIDATE or --around REF, not both")
        if args.start is not None or args.end is not None:
            raise CommandError(
                "--around compares the window before and after the change: use --window, not --from/--to"
            )
        params["around"] = args.around
    else:
        if args.baseline is None or args.candidate is None:
            raise CommandError("give two releases (BASELINE CANDIDATE), or --around REF")
        params["baseline"], params["candidate"] = args.baseline, args.candidate
        if args.window is not None and (args.start is not None or args.end is not None):
            raise CommandError("give either --window or --from/--to, not both")
        if args.start is not None:
            params["from"] = _iso_arg(args.start, "--from")
        if args.end is not None:
            params["to"] = _iso_arg(args.end, "--to")
    if args.window is not None:
        try:
            parse_window(args.window, "--window")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        params["window"] = args.window
    for name, value in (("agent", args.agent), ("type", args.type), ("seed", args.seed)):
        if value is not None:
            params[name] = value
    try:
        policy, _ = load_policy()
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    for key in POLICY_KEYS:  # a flag overrides the file
        if getattr(args, key) is not None:
            policy[key] = getattr(args, key)
    for key, value in policy.items():
        params[key] = f"{value:g}"
    return params


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare two releases (or the windows around a change); gate on the policy."""
    result = call(args, "GET", "/api/compare", params=_compare_params(args))
    if args.format == "json":
        print(json.dumps(result, indent=2))
    elif args.format == "markdown":
        print(format_markdown(result))
    else:
        print(format_text(result))
    if args.fail_on_regression and not result["policy"]["passed"]:
        return EXIT_POLICY_FAILED
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    """Record a change, or list them."""
    if args.changes_cmd == "add":
        body: dict[str, Any] = {"kind": args.kind, "ref": args.ref, "summary": args.summary}
        if args.at is not None:
            body["at"] = _iso_arg(args.at, "--at")
        change = call(args, "POST", "/api/changes", body=body)
        print(f"recorded change {change['id']}: {change['kind']} {change['ref']} at {change['at']}")
        return 0
    params = {
        name: _iso_arg(value, f"--{name}") if name in ("from", "to") else value
        for name, value in (("from", args.start), ("to", args.end), ("kind", args.kind))
        if value is not None
    }
    found = call(args, "GET", "/api/changes", params=params)["changes"]
    if args.format == "json":
        print(json.dumps(found, indent=2))
        return 0
    if not found:
        print("no changes")
    for change in found:
        print(f"{change['at']}  {change['kind']:<8} {change['ref']:<24} {change['summary']}")
    return 0


def _run(func: Any, name: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            code: int = func(args)
        except CommandError as exc:
            print(f"observatory {name}: {' '.join(str(exc).split())}", file=sys.stderr)
            return EXIT_ERROR
        return code

    return run


# -- parsers -------------------------------------------------------------------------


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr and exit 2 (no usage dump)."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_ERROR, f"{self.prog}: {message}\n")


def _one_line(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.error = _OneLineParser.error.__get__(parser)  # type: ignore[method-assign]
    return parser


def _nonneg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text}")
    return value


def _receiver_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=None, help="receiver URL (default $OBSERVATORY_API_URL)")
    parser.add_argument("--key", default=None, help="API key (default $OBSERVATORY_API_KEY)")


def register(sub: Any) -> None:
    """Add ``compare`` and ``changes`` to the ``observatory`` command's subparsers."""
    comp = _one_line(
        sub.add_parser(
            "compare",
            help="compare two releases (or before/after a change); a CI gate",
            description="Compare BASELINE and CANDIDATE releases (root runs by default), or the "
            "window before a change with the window after it (--around REF). Exit 1 with "
            "--fail-on-regression when the policy fails.",
        )
    )
    comp.add_argument("baseline", nargs="?", help="baseline release")
    comp.add_argument("candidate", nargs="?", help="candidate release")
    comp.add_argument("--around", metavar="REF", help="a change's ref: compare before vs after it")
    comp.add_argument("--agent", help="only this agent's runs")
    comp.add_argument(
        "--type", choices=("agent", "llm", "tool"), help="compare runs of this type, not root runs"
    )
    comp.add_argument(
        "--window", help="e.g. 7d: the last 7 days (with --around: each side's length, default 24h)"
    )
    comp.add_argument("--from", dest="start", metavar="T", help="start time ≥ T (ISO-8601)")
    comp.add_argument("--to", dest="end", metavar="T", help="start time ≤ T (ISO-8601)")
    comp.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text for a terminal, json for scripts, markdown for a pull-request comment",
    )
    comp.add_argument(
        "--fail-on-regression", action="store_true", help="exit 1 when the policy fails"
    )
    comp.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    for key in POLICY_KEYS:
        comp.add_argument(
            "--" + key.replace("_", "-"),
            dest=key,
            type=_nonneg,
            default=None,
            help="policy threshold (overrides [tool.observatory.policy] in pyproject.toml)",
        )
    _receiver_flags(comp)
    comp.set_defaults(func=_run(cmd_compare, "compare"))

    changes = _one_line(sub.add_parser("changes", help="record and list changes (deploys, edits)"))
    changes_sub = changes.add_subparsers(
        dest="changes_cmd", required=True, parser_class=_OneLineParser
    )
    add = changes_sub.add_parser("add", help="record a change")
    add.add_argument(
        "kind",
        choices=("code", "runtime", "prompt", "policy", "config"),
        help="what changed: code, runtime, prompt, policy or config",
    )
    add.add_argument("ref", help="e.g. git:9f2c1a, gpt-4.1-2025-04-14, prompt-v7")
    add.add_argument("summary", help="what changed, in a sentence")
    add.add_argument("--at", help="when (ISO-8601; default now)")
    _receiver_flags(add)
    lst = changes_sub.add_parser("list", help="list changes, oldest first")
    lst.add_argument("--from", dest="start", metavar="T", help="changes at or after T (ISO-8601)")
    lst.add_argument("--to", dest="end", metavar="T", help="changes at or before T (ISO-8601)")
    lst.add_argument(
        "--kind",
        choices=("code", "runtime", "prompt", "policy", "config"),
        help="only changes of this kind",
    )
    lst.add_argument(
        "--format", choices=("text", "json"), default="text", help="text table or JSON"
    )
    _receiver_flags(lst)
    changes.set_defaults(func=_run(cmd_changes, "changes"))
