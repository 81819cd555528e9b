"""The compare statistics against scipy and numpy (dev dependencies only)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from observatory.server import compare_stats
from observatory.server.compare import METRICS, Sample, metrics_for

scipy_stats = pytest.importorskip("scipy.stats")


def _samples(seed: int) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    # rounded: ties, as real latencies in ms and costs in cents have
    x = [round(rng.lognormvariate(0, 0.6), 1) for _ in range(rng.randint(5, 80))]
    y = [round(rng.lognormvariate(0.2, 0.6), 1) for _ in range(rng.randint(5, 80))]
    return x, y


@pytest.mark.parametrize("seed", range(20))
def test_mann_whitney_matches_scipy(seed: int) -> None:
    x, y = _samples(seed)
    u, p = compare_stats.mann_whitney_u(x, y)
    expected = scipy_stats.mannwhitneyu(x, y, method="asymptotic", alternative="two-sided")
    assert u == expected.statistic
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-15)


def test_mann_whitney_of_identical_values_is_not_significant() -> None:
    assert compare_stats.mann_whitney_u([1.0] * 40, [1.0] * 40)[1] == 1.0


@pytest.mark.parametrize(
    "table",
    [
        (3, 47, 9, 41),
        (0, 10, 0, 10),
        (1, 99, 7, 93),
        (20, 30, 25, 25),
        (0, 50, 5, 45),
        (12, 0, 3, 9),
        (200, 4800, 260, 4740),
    ],
)
def test_fisher_exact_matches_scipy(table: tuple[int, int, int, int]) -> None:
    a, b, c, d = table
    expected = scipy_stats.fisher_exact([[a, b], [c, d]]).pvalue
    assert compare_stats.fisher_exact(a, b, c, d) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_nearest_rank_quantiles_match_numpy(seed: int) -> None:
    values = sorted(_samples(seed)[0])
    for q in (0.5, 0.9, 0.95, 0.99):
        assert compare_stats.quantile(values, q) == np.percentile(values, q * 100, method="inverted_cdf")
    assert compare_stats.quantile([float(v) for v in range(1, 21)], 0.95) == 19.0


@pytest.mark.parametrize("x, n", [(0, 30), (3, 40), (17, 40), (40, 40), (250, 5000)])
def test_wilson_matches_scipy(x: int, n: int) -> None:
    ci = scipy_stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert compare_stats.wilson_interval(x, n, 0.95) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (a): 56/70 vs 48/80,
    # method 10: 0.0524 to 0.3339 for p1 - p2 (ours is p2 - p1 with the roles swapped)
    low, high = compare_stats.newcombe_interval(48, 80, 56, 70, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_holm_step_down() -> None:
    assert compare_stats.holm([0.01, 0.04, 0.03, None, 0.005]) == pytest.approx(
        [0.03, 0.06, 0.06, None, 0.02], abs=1e-12
    )
    assert compare_stats.holm([0.5, 0.9]) == [1.0, 1.0]
    assert compare_stats.holm([0.01, 0.2]) == [0.02, 0.2]
    assert compare_stats.holm([None, None]) == [None, None]


def test_quantile_bootstrap_has_the_distribution_of_plain_resampling() -> None:
    rng = random.Random(7)
    values = sorted(round(rng.expovariate(1.0), 2) for _ in range(120))
    fast = compare_stats.bootstrap_quantiles(values, 0.95, 4000, random.Random(1))
    plain_rng = random.Random(2)
    plain = [
        compare_stats.quantile(sorted(plain_rng.choices(values, k=len(values))), 0.95) for _ in range(4000)
    ]
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert np.quantile(fast, q) == pytest.approx(np.quantile(plain, q), rel=0.08)
    # and scipy's own percentile bootstrap of the same statistic agrees on the interval
    ref = scipy_stats.bootstrap(
        (np.array(values),),
        lambda a, axis: np.percentile(a, 95, axis=axis, method="inverted_cdf"),
        n_resamples=4000,
        method="percentile",
        random_state=np.random.default_rng(3),
    ).confidence_interval
    low, high = compare_stats.percentile_interval(fast, 0.95)
    assert low == pytest.approx(ref.low, rel=0.1) and high == pytest.approx(ref.high, rel=0.1)


def test_bootstrap_repeats_exactly_with_the_same_seed() -> None:
    base, cand = (
        _synthetic(random.Random(5), 60, 1.0, 0.05),
        _synthetic(random.Random(6), 60, 1.2, 0.1),
    )
    first = metrics_for(base, cand, seed=11)
    assert metrics_for(base, cand, seed=11) == first
    assert metrics_for(base, cand, seed=12)["cost"]["ci"] != first["cost"]["ci"]


def _synthetic(rng: random.Random, n: int, scale: float, error_rate: float) -> Sample:
    sample = Sample()
    for _ in range(n):
        sample.latency.append(rng.lognormvariate(0, 0.5) * scale)
        sample.cost.append(rng.gammavariate(2.0, 0.001) * scale)
        sample.tokens.append(float(int(rng.gammavariate(4.0, 250) * scale)))
        sample.errors += rng.random() < error_rate
    return sample


def test_known_shifts_are_found_in_the_right_direction() -> None:
    rng = random.Random(42)
    base = _synthetic(rng, 400, 1.0, 0.05)
    worse = _synthetic(rng, 400, 1.5, 0.15)
    result = metrics_for(base, worse)
    assert {m: result[m]["verdict"] for m in METRICS} == dict.fromkeys(METRICS, "regressed")
    for metric in METRICS:
        low, high = result[metric]["ci"]
        assert 0 < low < result[metric]["abs_diff"] < high
    better = metrics_for(worse, base)
    assert {m: better[m]["verdict"] for m in METRICS} == dict.fromkeys(METRICS, "improved")


def test_identical_distributions_are_flagged_no_more_than_nominally() -> None:
    """200 compares of two samples of 50 from one distribution: each metric's
    raw p-value is below 0.05 about 5% of the time at most, the Holm-adjusted
    verdicts flag any metric at most ~5% of the time (family-wise), and the
    intervals cover the true difference (0) about 95% of the time."""
    seeds = 200
    raw = dict.fromkeys(METRICS, 0)
    flagged_compares = 0
    covered = dict.fromkeys(METRICS, 0)
    for seed in range(seeds):
        rng = random.Random(1000 + seed)
        result = metrics_for(
            _synthetic(rng, 50, 1.0, 0.1), _synthetic(rng, 50, 1.0, 0.1), seed=seed, resamples=300
        )
        flagged_compares += any(result[m]["verdict"] != "no_significant_change" for m in METRICS)
        for metric in METRICS:
            raw[metric] += result[metric]["p_value"] < 0.05
            low, high = result[metric]["ci"]
            covered[metric] += low <= 0 <= high
    # binomial(200, 0.05): mean 10, sd 3.1; 19 is ~3 sd above the nominal rate
    assert all(count <= 19 for count in raw.values()), raw
    assert flagged_compares <= 19, flagged_compares
    # percentile bootstrap at n=50 is slightly narrow; Newcombe is close to nominal
    assert all(count >= 0.88 * seeds for count in covered.values()), covered


def test_small_samples_give_insufficient_data_with_estimates() -> None:
    rng = random.Random(3)
    result = metrics_for(_synthetic(rng, 10, 1.0, 0.1), _synthetic(rng, 29, 3.0, 0.5))
    for metric in METRICS:
        item = result[metric]
        assert item["verdict"] == "insufficient_data"
        assert item["ci"] is None and item["p_value"] is None and item["p_adjusted"] is None
        assert item["baseline"] is not None and (item["n_baseline"], item["n_candidate"]) == (
            10,
            29,
        )
    empty = metrics_for(Sample(), Sample())
    assert all(
        empty[m]["verdict"] == "insufficient_data" and empty[m]["baseline"] is None for m in METRICS
    )


def test_a_mean_raised_by_outliers_while_most_runs_got_cheaper_is_not_a_verdict() -> None:
    base, cand = Sample(), Sample()
    base.cost = [1.0] * 100
    cand.cost = [0.5] * 97 + [100.0] * 3  # mean 3.485: "up"; but 97% of runs halved
    for sample in (base, cand):
        sample.latency = [1.0] * 100
        sample.tokens = [1.0] * 100
    cost = metrics_for(base, cand)["cost"]
    assert cost["abs_diff"] > 0 and cost["p_adjusted"] < 0.05
    assert cost["verdict"] == "no_significant_change" and "_direction" not in cost
    cand.cost = [2.0] * 97 + [100.0] * 3  # most runs doubled and the mean rose: regressed
    assert metrics_for(base, cand)["cost"]["verdict"] == "regressed"
