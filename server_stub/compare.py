"""``GET /api/compare``: did the candidate make the agent cheaper, faster, no more error-prone?

Two samples of units (root runs by default; runs of one ``type`` if asked),
each picked by release and/or a time window, give five metrics with estimates,
differences, 95% intervals, p-values adjusted by Holm across the metrics of
the compare, a verdict each, and a policy check. The statistics are in
:mod:`.compare_stats`; this module picks the runs and writes the answer.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.engine import Connection

from . import compare_stats, models
from .queries import QueryError, iso, parse_float, parse_time

r = models.runs

METRICS = ("latency_p50", "latency_p95", "cost", "tokens", "error_rate")
"""The metrics of every compare, in the order they are shown; lower is better for all."""

LABELS = {
    "latency_p50": "latency p50 (s)",
    "latency_p95": "latency p95 (s)",
    "cost": "cost per run (USD)",
    "tokens": "tokens per run",
    "error_rate": "error rate",
}

MIN_SAMPLE = 30
"""Units per side below which a metric gets ``insufficient_data`` (no interval, no
test): under ~30 a bootstrap interval of a p95 rests on one or two runs."""

MAX_SAMPLE = 2000
"""Newest units per side that are compared. Past ~2,000 runs an interval narrows
little (its width goes as 1/sqrt(n)), while a mean's bootstrap costs grow with
``n x RESAMPLES`` in pure Python: at 2,000 runs per side the four bootstraps of
cost and tokens are ~8 million draws (benchmarks/compare_timing.py)."""

RESAMPLES = 1000
"""Bootstrap resamples per interval (quantiles cost O(1) each, means O(n))."""

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
DEFAULT_SEED = 0
MAX_TREE_DEPTH = 100
"""Levels followed below each unit when summing its tokens (also cuts parent cycles)."""

POLICY_KEYS = (
    "max_cost_increase_pct",
    "max_p95_latency_increase_pct",
    "max_error_rate_increase_pp",
    "min_runs",
)
"""Thresholds of a policy (request parameters, or ``[tool.observatory.policy]``)."""

_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_US = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}
_UNIT_US["w"] = 7 * _UNIT_US["d"]
MAX_WINDOW_US = 36_600 * _UNIT_US["d"]
"""A century: longer windows would overflow 64-bit microsecond times."""


def parse_window(value: str, name: str = "window") -> int:
    """``"30m"``, ``"24h"``, ``"7d"``, ``"2w"`` → microseconds (QueryError otherwise)."""
    match = _WINDOW.match(value)
    if not match or float(match.group(1)) <= 0:
        raise QueryError(
            f"{name} must be a positive duration like 30m, 24h, 7d or 2w; got {value!r}"
        )
    width = int(float(match.group(1)) * _UNIT_US[match.group(2)])
    if width > MAX_WINDOW_US:
        raise QueryError(f"{name} may be at most a century, got {value!r}")
    return width


# -- which runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One side of a compare: a release (or any), within ``[start, end)`` on start time."""

    release: str | None
    start: int | None = None
    end: int | None = None
    """Exclusive."""

    def describe(self) -> dict[str, Any]:
        """The side as the answer shows it."""
        return {"release": self.release, "from": iso(self.start), "to": iso(self.end)}


@dataclass
class Sample:
    """The finished units of one side and their per-unit values."""

    latency: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    tokens: list[float] = field(default_factory=list)
    errors: int = 0
    truncated: bool = False

    @property
    def n(self) -> int:
        """Units (finished runs) in the sample."""
        return len(self.cost)


def _unit_query(project: int, side: Side, agent: str | None, run_type: str | None) -> Any:
    where = [r.c.project_id == project, r.c.status != "started"]
    where.append(r.c.type == run_type if run_type else r.c.parent_run_id.is_(None))
    if side.release is not None:
        where.append(r.c.release == side.release)
    if agent is not None:
        where.append(r.c.agent == agent)
    if side.start is not None:
        where.append(r.c.sort_time >= side.start)
    if side.end is not None:
        where.append(r.c.sort_time < side.end)
    return (
        select(r.c.run_id, r.c.status, r.c.latency_s, r.c.subtree_cost)
        .where(*where)
        .order_by(r.c.sort_time.desc(), r.c.run_id.desc())
        .limit(MAX_SAMPLE + 1)
    )


TOKEN_CHUNK = 500
"""Units per subtree query (bound parameters in one ``IN`` list)."""


def _subtree_tokens(conn: Connection, project: int, run_ids: list[str]) -> dict[str, int]:
    """``total_tokens`` summed over each of these runs and every run below it."""
    found: dict[str, int] = {}
    for start in range(0, len(run_ids), TOKEN_CHUNK):
        chunk = run_ids[start : start + TOKEN_CHUNK]
        tree = (
            select(r.c.run_id.label("root"), r.c.run_id.label("node"), literal(0).label("depth"))
            .where(r.c.project_id == project, r.c.run_id.in_(chunk))
            .cte("tree", recursive=True)
        )
        up = tree.alias("up")
        tree = tree.union_all(
            select(up.c.root, r.c.run_id, up.c.depth + 1).where(
                r.c.project_id == project,
                r.c.parent_run_id == up.c.node,
                up.c.depth < MAX_TREE_DEPTH,
            )
        )
        rows = conn.execute(
            select(tree.c.root, func.sum(r.c.total_tokens))
            .select_from(tree.join(r, and_(r.c.project_id == project, r.c.run_id == tree.c.node)))
            .group_by(tree.c.root)
        )
        found.update((root, int(total or 0)) for root, total in rows)
    return found


def load_sample(
    conn: Connection, project: int, side: Side, agent: str | None, run_type: str | None
) -> Sample:
    """The newest :data:`MAX_SAMPLE` finished units of one side."""
    units = _unit_query(project, side, agent, run_type)
    rows = conn.execute(units).all()
    sample = Sample(truncated=len(rows) > MAX_SAMPLE)
    rows = rows[:MAX_SAMPLE]
    if not rows:
        return sample
    tokens = _subtree_tokens(conn, project, [row[0] for row in rows])
    for run_id, status, latency, cost in rows:
        if latency is not None:
            sample.latency.append(float(latency))
        sample.cost.append(float(cost or 0.0))
        sample.tokens.append(float(tokens.get(run_id, 0)))
        if status == "error":
            sample.errors += 1
    return sample


# -- the numbers --------------------------------------------------------------------------


def _rng(seed: int, metric: str) -> random.Random:
    # one stream per metric: adding a metric never changes another's interval
    return random.Random(f"{seed}:{metric}")


def _estimates(
    base: float | None, cand: float | None, n_base: int, n_cand: int, test: str, ci_method: str
) -> dict[str, Any]:
    """A metric's result before its interval and test: estimates and differences."""
    diff = cand - base if base is not None and cand is not None else None
    return {
        "baseline": base,
        "candidate": cand,
        "abs_diff": diff,
        "rel_diff": diff / base if diff is not None and base else None,
        "ci": None,
        "p_value": None,
        "n_baseline": n_base,
        "n_candidate": n_cand,
        "test": test,
        "ci_method": ci_method,
    }


def _continuous(
    metric: str,
    base: list[float],
    cand: list[float],
    seed: int,
    min_sample: int,
    resamples: int,
) -> dict[str, Any]:
    """A quantile or mean metric: nearest-rank quantile or mean, bootstrap interval,
    Mann–Whitney (p50, cost, tokens) or the quantile test (p95)."""
    q = {"latency_p50": 0.5, "latency_p95": 0.95}.get(metric)
    sb, sc = sorted(base), sorted(cand)

    def estimate(values: list[float]) -> float | None:
        if not values:
            return None
        return compare_stats.quantile(values, q) if q is not None else compare_stats.mean(values)

    test = "quantile_test" if metric == "latency_p95" else "mann_whitney_u"
    out = _estimates(estimate(sb), estimate(sc), len(base), len(cand), test, "bootstrap_percentile")
    if min(len(base), len(cand)) < min_sample:
        return out
    rng = _rng(seed, metric)
    if q is not None:
        draws_b = compare_stats.bootstrap_quantiles(sb, q, resamples, rng)
        draws_c = compare_stats.bootstrap_quantiles(sc, q, resamples, rng)
    else:
        draws_b = compare_stats.bootstrap_means(base, resamples, rng)
        draws_c = compare_stats.bootstrap_means(cand, resamples, rng)
    out["ci"] = list(compare_stats.difference_interval(draws_b, draws_c, CONFIDENCE))
    if metric == "latency_p95":
        out["p_value"] = compare_stats.quantile_test(base, cand, 0.95)
    else:
        u_base, out["p_value"] = compare_stats.mann_whitney_u(base, cand)
        # which side's runs tend to be larger: a verdict needs it to agree with the
        # estimates (a mean can rise on a few outliers while most runs got cheaper)
        out["_direction"] = (u_base < len(base) * len(cand) / 2) - (
            u_base > len(base) * len(cand) / 2
        )
    return out


def _error_rate(base: Sample, cand: Sample, min_sample: int) -> dict[str, Any]:
    """Error rate: proportions, Newcombe's interval, Fisher's exact test."""
    out = _estimates(
        base.errors / base.n if base.n else None,
        cand.errors / cand.n if cand.n else None,
        base.n,
        cand.n,
        "fisher_exact",
        "newcombe_wilson",
    )
    if min(base.n, cand.n) < min_sample:
        return out
    out["ci"] = list(compare_stats.newcombe_interval(base.errors, base.n, cand.errors, cand.n, CONFIDENCE))
    out["p_value"] = compare_stats.fisher_exact(
        base.errors, base.n - base.errors, cand.errors, cand.n - cand.errors
    )
    return out


def _verdict(result: dict[str, Any]) -> str:
    adjusted = result["p_adjusted"]
    if adjusted is None:
        return "insufficient_data"
    diff = result["abs_diff"]
    if adjusted >= ALPHA or not diff:
        return "no_significant_change"
    direction = result.pop("_direction", None)
    if direction is not None and direction != (1 if diff > 0 else -1):
        return "no_significant_change"  # the test and the estimates point different ways
    return "regressed" if diff > 0 else "improved"


def metrics_for(
    base: Sample,
    cand: Sample,
    seed: int = DEFAULT_SEED,
    min_sample: int = MIN_SAMPLE,
    resamples: int = RESAMPLES,
) -> dict[str, dict[str, Any]]:
    """Every metric of :data:`METRICS` with Holm-adjusted p-values and verdicts."""
    args = (seed, min_sample, resamples)
    results = {
        "latency_p50": _continuous("latency_p50", base.latency, cand.latency, *args),
        "latency_p95": _continuous("latency_p95", base.latency, cand.latency, *args),
        "cost": _continuous("cost", base.cost, cand.cost, *args),
        "tokens": _continuous("tokens", base.tokens, cand.tokens, *args),
        "error_rate": _error_rate(base, cand, min_sample),
    }
    adjusted = compare_stats.holm([results[m]["p_value"] for m in METRICS])
    for metric, p_adj in zip(METRICS, adjusted, strict=True):
        results[metric]["p_adjusted"] = p_adj
        results[metric]["verdict"] = _verdict(results[metric])
        results[metric].pop("_direction", None)
    return results


# -- policy --------------------------------------------------------------------------------


def parse_policy(values: Mapping[str, Any], source: str) -> dict[str, float]:
    """Validated thresholds from request parameters or a pyproject table (QueryError if bad)."""
    unknown = sorted(set(values) - set(POLICY_KEYS))
    if unknown:
        raise QueryError(
            f"unknown policy key(s) {', '.join(unknown)} in {source}; keys are {', '.join(POLICY_KEYS)}"
        )
    policy: dict[str, float] = {}
    for key, raw in values.items():
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise QueryError(f"{key} in {source} must be a number, got {raw!r}")
        number = parse_float(raw, key) if isinstance(raw, str) else float(raw)
        if not math.isfinite(number) or number < 0:
            raise QueryError(f"{key} in {source} must be a non-negative number, got {raw!r}")
        if key == "min_runs" and number != int(number):
            raise QueryError(f"min_runs in {source} must be a whole number, got {raw!r}")
        policy[key] = number
    return policy


def _pct(value: float) -> str:
    return f"{value:+.1f}%"


def evaluate_policy(
    metrics: Mapping[str, Mapping[str, Any]], n_base: int, n_cand: int, policy: Mapping[str, float]
) -> dict[str, Any]:
    """``{"passed", "reasons", "thresholds"}``. Thresholds compare point estimates;
    without any, a ``regressed`` metric fails the policy."""
    reasons: list[str] = []
    if not policy:
        for metric in METRICS:
            result = metrics[metric]
            if result["verdict"] == "regressed":
                reasons.append(
                    f"{metric} regressed: {result['baseline']:.6g} -> {result['candidate']:.6g} "
                    f"(Holm-adjusted p={result['p_adjusted']:.3g})"
                )
        return {"passed": not reasons, "reasons": reasons, "thresholds": {}}
    if "min_runs" in policy:
        need = int(policy["min_runs"])
        for label, n in (("baseline", n_base), ("candidate", n_cand)):
            if n < need:
                reasons.append(f"{label} has {n} runs, fewer than min_runs={need}")
    for key, metric in (
        ("max_cost_increase_pct", "cost"),
        ("max_p95_latency_increase_pct", "latency_p95"),
    ):
        if key not in policy:
            continue
        limit, result = policy[key], metrics[metric]
        base, cand = result["baseline"], result["candidate"]
        if base is None or cand is None:
            reasons.append(f"{metric}: no runs to check {key}={limit:g} on")
        elif base == 0:
            if cand > 0:
                reasons.append(f"{metric} rose from 0 to {cand:.6g} ({key}={limit:g})")
        elif (change := (cand - base) / base * 100) > limit:
            reasons.append(f"{metric} rose {_pct(change)}, more than {key}={limit:g}")
    if "max_error_rate_increase_pp" in policy:
        limit, result = policy["max_error_rate_increase_pp"], metrics["error_rate"]
        if result["abs_diff"] is None:
            reasons.append(f"error_rate: no runs to check max_error_rate_increase_pp={limit:g} on")
        elif (points := result["abs_diff"] * 100) > limit + 1e-9:
            reasons.append(
                f"error_rate rose {points:+.2f} points, more than max_error_rate_increase_pp={limit:g}"
            )
    return {"passed": not reasons, "reasons": reasons, "thresholds": dict(policy)}


# -- the request ---------------------------------------------------------------------------

PARAMS = (
    "baseline",
    "candidate",
    "around",
    "window",
    "agent",
    "type",
    "from",
    "to",
    "seed",
    *POLICY_KEYS,
)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise QueryError(f"{name} may be given once")
    if not values[0].strip():
        raise QueryError(f"{name} must not be empty")
    return values[0]


@dataclass(frozen=True)
class Request:
    """A validated compare request."""

    baseline: Side
    candidate: Side
    agent: str | None
    run_type: str | None
    seed: int
    policy: dict[str, float]
    change: dict[str, Any] | None
    """The change ``around`` named."""


def parse_request(
    params: Mapping[str, list[str]],
    now: int,
    find_change: Callable[[str], tuple[int, dict[str, Any]]] | None = None,
) -> Request:
    """Validate query parameters (QueryError with the reason). ``find_change(ref)``
    gives ``(time in µs, change)`` of the change ``around`` names, or LookupError."""
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise QueryError(
            f"unknown parameter(s) {', '.join(unknown)}; parameters are {', '.join(PARAMS)}"
        )
    base, cand, around = _one(params, "baseline"), _one(params, "candidate"), _one(params, "around")
    window_text, start_text, end_text = (
        _one(params, "window"),
        _one(params, "from"),
        _one(params, "to"),
    )
    run_type = _one(params, "type")
    if run_type is not None and run_type not in ("agent", "llm", "tool"):
        raise QueryError(f"type must be one of agent, llm, tool; got {run_type!r}")
    seed_text = _one(params, "seed")
    if seed_text is not None and not re.fullmatch(r"\d{1,18}", seed_text):
        raise QueryError(f"seed must be a non-negative integer, got {seed_text!r}")
    policy = parse_policy({k: _one(params, k) for k in POLICY_KEYS if k in params}, "the request")
    window = parse_window(window_text) if window_text is not None else None
    if around is not None:
        if base is not None or cand is not None:
            raise QueryError("give either baseline and candidate, or around, not both")
        if start_text is not None or end_text is not None:
            raise QueryError(
                "around compares the window before and after a change: from/to do not apply"
            )
        if find_change is None:
            raise QueryError("around is not available here")
        at, change = find_change(around)  # LookupError: no such change (404)
        width = window if window is not None else parse_window("24h")
        sides = (Side(None, at - width, at), Side(None, at, at + width))
    else:
        if base is None or cand is None:
            raise QueryError("baseline and candidate (two releases) are required, or around=REF")
        if window is not None and (start_text is not None or end_text is not None):
            raise QueryError("give either window or from/to, not both")
        start = parse_time(start_text, "from") if start_text is not None else None
        end = parse_time(end_text, "to") + 1 if end_text is not None else None  # `to` is inclusive
        if window is not None:
            start, end = now - window, None
        if start is not None and end is not None and start >= end:
            raise QueryError("from is after to: nothing can match")
        sides = (Side(base, start, end), Side(cand, start, end))
        change = None
    return Request(
        sides[0],
        sides[1],
        _one(params, "agent"),
        run_type,
        int(seed_text) if seed_text is not None else DEFAULT_SEED,
        policy,
        change,
    )


def percentiles(values: list[float]) -> list[float]:
    """Nearest-rank percentiles 0 to 100 (p0 is the minimum); empty without values."""
    if not values:
        return []
    ordered = sorted(values)
    return [ordered[0], *(compare_stats.quantile(ordered, k / 100) for k in range(1, 101))]


def distributions(base: Sample, cand: Sample) -> dict[str, dict[str, list[float]]]:
    """Latency and cost per run of both sides as 101 percentiles each: enough to draw
    the two distributions one over the other (as CDFs or densities) without every run."""
    return {
        "latency": {"baseline": percentiles(base.latency), "candidate": percentiles(cand.latency)},
        "cost": {"baseline": percentiles(base.cost), "candidate": percentiles(cand.cost)},
    }


def compare(conn: Connection, project: int, req: Request) -> dict[str, Any]:
    """The whole answer of ``GET /api/compare``."""
    base = load_sample(conn, project, req.baseline, req.agent, req.run_type)
    cand = load_sample(conn, project, req.candidate, req.agent, req.run_type)
    metrics = metrics_for(base, cand, req.seed)
    return {
        "baseline": {**req.baseline.describe(), "runs": base.n, "truncated": base.truncated},
        "candidate": {**req.candidate.describe(), "runs": cand.n, "truncated": cand.truncated},
        "agent": req.agent,
        "unit": f"{req.run_type} run" if req.run_type else "root run",
        "change": req.change,
        "min_sample": MIN_SAMPLE,
        "max_sample": MAX_SAMPLE,
        "confidence": CONFIDENCE,
        "bootstrap": {"resamples": RESAMPLES, "seed": req.seed},
        "metrics": metrics,
        "policy": evaluate_policy(metrics, base.n, cand.n, req.policy),
        "distributions": distributions(base, cand),
    }
