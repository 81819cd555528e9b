"""Two-sample statistics for ``GET /api/compare``, in pure Python (no numpy or scipy).

Conventions (each one checked against scipy in ``tests/server/test_compare_stats.py``):

* quantiles are *nearest rank*: the ``q`` quantile of ``n`` sorted values is the
  value at rank ``ceil(q * n)`` (numpy's ``method="inverted_cdf"``), so it is
  always an observed value and a hand count gives it exactly;
* confidence intervals of a difference of quantiles or means are percentile
  bootstrap intervals from a ``random.Random`` seeded by the caller, so the same
  data always gives the same interval;
* p-values are two-sided.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from statistics import NormalDist

_SQRT2 = math.sqrt(2.0)


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z (accurate far into the tail)."""
    return 0.5 * math.erfc(z / _SQRT2)


def z_for(confidence: float) -> float:
    """The two-sided critical value: 1.959964 for 0.95."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


# -- point estimates ---------------------------------------------------------------


def rank_of(q: float, n: int) -> int:
    """The 1-based rank of the nearest-rank ``q`` quantile among ``n`` values."""
    # the small tolerance keeps 0.95 * 20 (19.000000000000004 in floats) at rank 19
    return min(n, max(1, math.ceil(q * n - 1e-9)))


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of already sorted values (non-empty)."""
    return sorted_values[rank_of(q, len(sorted_values)) - 1]


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (non-empty), summed exactly."""
    return math.fsum(values) / len(values)


# -- bootstrap ----------------------------------------------------------------------


def bootstrap_quantiles(
    sorted_values: Sequence[float], q: float, resamples: int, rng: random.Random
) -> list[float]:
    """The ``q`` quantile of ``resamples`` bootstrap resamples, drawn exactly and in O(1) each.

    A resample of ``n`` draws with replacement is ``sorted_values[floor(U_i * n)]``
    for ``n`` independent uniforms; ``floor`` keeps order, so the resample's
    ``k``-th smallest value is ``sorted_values[floor(U_(k) * n)]`` where the
    ``k``-th smallest uniform ``U_(k)`` follows Beta(k, n - k + 1). Drawing that
    one Beta variate gives the same distribution as resampling and sorting ``n``
    values, at a thousandth of the cost for a few thousand runs."""
    n = len(sorted_values)
    k = rank_of(q, n)
    beta = rng.betavariate
    last = n - 1
    return [sorted_values[min(last, int(beta(k, n - k + 1) * n))] for _ in range(resamples)]


def bootstrap_means(values: Sequence[float], resamples: int, rng: random.Random) -> list[float]:
    """The mean of ``resamples`` bootstrap resamples (each ``len(values)`` draws)."""
    n = len(values)
    choices = rng.choices
    return [sum(choices(values, k=n)) / n for _ in range(resamples)]


def percentile_interval(draws: Sequence[float], confidence: float) -> tuple[float, float]:
    """The central ``confidence`` interval of bootstrap draws: with 1000 draws at
    0.95, the 26th and the 975th smallest."""
    ordered = sorted(draws)
    b = len(ordered)
    tail = (1.0 - confidence) / 2
    low = ordered[int(math.floor(b * tail + 1e-9))]
    high = ordered[max(0, math.ceil(b * (1.0 - tail) - 1e-9) - 1)]
    return low, high


def difference_interval(
    baseline: Sequence[float], candidate: Sequence[float], confidence: float
) -> tuple[float, float]:
    """Percentile interval of ``candidate - baseline`` from paired bootstrap draws."""
    return percentile_interval(
        [c - b for b, c in zip(baseline, candidate, strict=True)], confidence
    )


# -- tests ----------------------------------------------------------------------------


def average_ranks(values: Sequence[float]) -> tuple[list[float], float]:
    """1-based ranks (ties get their average rank) and the tie term ``sum(t^3 - t)``."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2 + 1
        for m in range(i, j + 1):
            ranks[order[m]] = rank
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    return ranks, ties


def mann_whitney_u(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """``(U of x, two-sided p)`` by the normal approximation with tie and continuity
    corrections (scipy's ``mannwhitneyu(x, y, method="asymptotic")``)."""
    n1, n2 = len(x), len(y)
    ranks, ties = average_ranks([*x, *y])
    u1 = math.fsum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:  # every value equal: nothing differs
        return u1, 1.0
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return u1, min(1.0, 2 * normal_sf(z))


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p of Fisher's exact test on the table ``[[a, b], [c, d]]``: the
    probability of every table with these margins no more likely than this one
    (scipy's ``fisher_exact``)."""
    row1, row2, col1 = a + b, c + d, a + c
    n = row1 + row2
    low, high = max(0, col1 - row2), min(row1, col1)
    if low == high:
        return 1.0
    base = _log_choose(n, col1)

    def log_pmf(x: int) -> float:
        return _log_choose(row1, x) + _log_choose(row2, col1 - x) - base

    observed = log_pmf(a)
    # scipy's relative tolerance, so tables equal up to rounding count as "as likely"
    cutoff = observed + math.log1p(1e-7)
    total = math.fsum(math.exp(lp) for x in range(low, high + 1) if (lp := log_pmf(x)) <= cutoff)
    return min(1.0, total)


def quantile_test(x: Sequence[float], y: Sequence[float], q: float) -> float:
    """Two-sided p that ``x`` and ``y`` share their ``q`` quantile (Mood's median
    test generalised): Fisher's exact test on how many values of each lie above
    the pooled sample's ``q`` quantile. Exact under the null of one distribution,
    and sensitive to a tail that moves while the middle stays put."""
    pooled = sorted([*x, *y])
    cut = quantile(pooled, q)
    above_x = sum(1 for v in x if v > cut)
    above_y = sum(1 for v in y if v > cut)
    return fisher_exact(above_x, len(x) - above_x, above_y, len(y) - above_y)


# -- rates ----------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a proportion (no continuity correction)."""
    if n == 0:
        return 0.0, 1.0
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, confidence: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) of ``x2/n2 - x1/n1``,
    built from the two Wilson intervals."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    d = p2 - p1
    return (
        d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )


# -- multiple comparisons ------------------------------------------------------------


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment over the p-values that are not None (the others
    stay None and do not count in the family)."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(present)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for step, (p, i) in enumerate(present):
        running = max(running, min(1.0, (m - step) * p))
        adjusted[i] = running
    return adjusted
