"""GET /api/compare, /api/changes and the CLI, end to end over HTTP against a real receiver."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from observatory.server import compare_stats
from observatory.server.cli import main

from .conftest import Server, ts, uid

scipy_stats = pytest.importorskip("scipy.stats")

N = 30
Z = 1.959963984540054


def _root(
    release: str, start: str, end: str, tokens: int, error: bool, agent: str = "bot"
) -> list[dict[str, Any]]:
    """A root agent run with one priced LLM child (1 USD per 1M prompt tokens)."""
    rid = uid("root")
    meta = {"agent": agent}
    return [
        {
            "name": "agent_start",
            "run_id": rid,
            "timestamp": start,
            "release": release,
            "metadata": meta,
        },
        {
            "name": "llm",
            "run_id": uid("llm"),
            "parent_run_id": rid,
            "timestamp": start,
            "release": release,
            "model": "compare-unit-model",
            "prompt_tokens": tokens,
            "completion_tokens": 0,
        },
        {
            "name": "agent_end",
            "run_id": rid,
            "timestamp": end,
            "release": release,
            "status": "error" if error else "success",
            "metadata": meta,
        },
    ]


@pytest.fixture(scope="module")
def fixed(shared_server: Server) -> dict[str, Any]:
    """The hand-computable data set: run i (1..30) of the baseline takes i x 100 ms
    and 1000 x i tokens, and runs 1-3 fail; run i of the candidate takes (i + 2) x
    100 ms and 1500 x i tokens, and runs 1-6 fail."""
    srv = shared_server
    assert (
        srv.client.put("/api/costs/compare-unit-model", json={"input": 1, "output": 0}).status_code
        == 200
    )
    base, cand = uid("base"), uid("cand")
    events: list[dict[str, Any]] = []
    for i in range(1, N + 1):
        events += _root(
            base, ts(0, minute=i, hour=8), ts(i * 0.1, minute=i, hour=8), 1000 * i, i <= 3
        )
        events += _root(
            cand, ts(0, minute=i, hour=9), ts((i + 2) * 0.1, minute=i, hour=9), 1500 * i, i <= 6
        )
    # an unfinished run is not a unit; neither is a run of another agent when agent= is given
    events += [
        {"name": "agent_start", "run_id": uid(), "timestamp": ts(0, hour=10), "release": cand}
    ]
    events += _root(
        cand, ts(0, minute=59, hour=9), ts(50, minute=59, hour=9), 10**6, True, agent="other"
    )
    assert srv.report(events)["rejected"] == []
    return {
        "base": base,
        "cand": cand,
        "latency": ([i / 10 for i in range(1, N + 1)], [(i + 2) / 10 for i in range(1, N + 1)]),
        "tokens": ([1000.0 * i for i in range(1, N + 1)], [1500.0 * i for i in range(1, N + 1)]),
    }


def _compare(srv: Server, expect: int = 200, **params: Any) -> dict[str, Any]:
    resp = srv.client.get("/api/compare", params=params)
    assert resp.status_code == expect, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    center = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return center - half, center + half


def test_numbers_are_exact_against_a_hand_computation(
    shared_server: Server, fixed: dict[str, Any]
) -> None:
    result = _compare(shared_server, baseline=fixed["base"], candidate=fixed["cand"], agent="bot")
    m = result["metrics"]
    assert (result["baseline"]["runs"], result["candidate"]["runs"]) == (30, 30)
    assert result["unit"] == "root run" and result["min_sample"] == 30 <= 200
    # nearest rank: p50 is the 15th of 30, p95 the 29th
    assert (m["latency_p50"]["baseline"], m["latency_p50"]["candidate"]) == (1.5, 1.7)
    assert (m["latency_p95"]["baseline"], m["latency_p95"]["candidate"]) == (2.9, 3.1)
    assert m["latency_p50"]["abs_diff"] == pytest.approx(0.2, abs=1e-12)
    assert m["latency_p50"]["rel_diff"] == pytest.approx(0.2 / 1.5, abs=1e-12)
    # means of 1..30 are 15.5
    assert m["tokens"]["baseline"] == 15_500 and m["tokens"]["candidate"] == 23_250
    assert m["tokens"]["rel_diff"] == pytest.approx(0.5, abs=1e-12)
    assert m["cost"]["baseline"] == pytest.approx(0.0155, rel=1e-12)
    assert m["cost"]["candidate"] == pytest.approx(0.02325, rel=1e-12)
    # error rate 3/30 vs 6/30; Newcombe from the two Wilson intervals
    e = m["error_rate"]
    assert (e["baseline"], e["candidate"], e["n_baseline"], e["n_candidate"]) == (0.1, 0.2, 30, 30)
    (l1, u1), (l2, u2) = _wilson(3, 30), _wilson(6, 30)
    assert e["ci"] == pytest.approx(
        [
            0.1 - math.sqrt((0.2 - l2) ** 2 + (u1 - 0.1) ** 2),
            0.1 + math.sqrt((u2 - 0.2) ** 2 + (0.1 - l1) ** 2),
        ],
        abs=1e-12,
    )
    # p-values: the standard tests, as scipy computes them
    lat_b, lat_c = fixed["latency"]
    tok_b, tok_c = fixed["tokens"]
    expected = {
        "latency_p50": scipy_stats.mannwhitneyu(lat_b, lat_c, method="asymptotic").pvalue,
        "tokens": scipy_stats.mannwhitneyu(tok_b, tok_c, method="asymptotic").pvalue,
        "cost": scipy_stats.mannwhitneyu(tok_b, tok_c, method="asymptotic").pvalue,
        "error_rate": scipy_stats.fisher_exact([[3, 27], [6, 24]]).pvalue,
        # the pooled p95 is the 57th of 60 values, 3.0 (3.2, 3.1, 3.0, 3.0 are the top four):
        # none of the baseline's values and two of the candidate's lie above it
        "latency_p95": scipy_stats.fisher_exact([[0, 30], [2, 28]]).pvalue,
    }
    for metric, p in expected.items():
        assert m[metric]["p_value"] == pytest.approx(p, rel=1e-9), metric
    adjusted = compare_stats.holm(
        [expected[k] for k in ("latency_p50", "latency_p95", "cost", "tokens", "error_rate")]
    )
    for metric, p_adj in zip(
        ("latency_p50", "latency_p95", "cost", "tokens", "error_rate"), adjusted, strict=True
    ):
        assert m[metric]["p_adjusted"] == pytest.approx(p_adj, rel=1e-9)
        want = "no_significant_change" if p_adj >= 0.05 else "regressed"
        assert m[metric]["verdict"] == want, metric
    for metric in m.values():
        low, high = metric["ci"]
        assert low <= metric["abs_diff"] <= high
    # the same data gives the same answer (fixed seed)
    assert (
        _compare(shared_server, baseline=fixed["base"], candidate=fixed["cand"], agent="bot")
        == result
    )


def test_policy_from_the_request(shared_server: Server, fixed: dict[str, Any]) -> None:
    pair = {"baseline": fixed["base"], "candidate": fixed["cand"], "agent": "bot"}
    default = _compare(shared_server, **pair)["policy"]
    regressed = [
        k
        for k, v in _compare(shared_server, **pair)["metrics"].items()
        if v["verdict"] == "regressed"
    ]
    assert default["passed"] == (not regressed) and len(default["reasons"]) == len(regressed)
    failed = _compare(
        shared_server, **pair, max_cost_increase_pct=10, max_error_rate_increase_pp=15, min_runs=31
    )["policy"]
    assert failed["passed"] is False
    assert failed["thresholds"] == {
        "max_cost_increase_pct": 10,
        "max_error_rate_increase_pp": 15,
        "min_runs": 31,
    }
    assert any("cost rose +50.0%" in r for r in failed["reasons"])
    assert sum("fewer than min_runs=31" in r for r in failed["reasons"]) == 2
    assert not any("error_rate" in r for r in failed["reasons"])  # +10 pp is within 15
    passed = _compare(
        shared_server, **pair, max_cost_increase_pct=50, max_p95_latency_increase_pct=7, min_runs=30
    )["policy"]
    assert passed == {
        "passed": True,
        "reasons": [],
        "thresholds": {
            "max_cost_increase_pct": 50,
            "max_p95_latency_increase_pct": 7,
            "min_runs": 30,
        },
    }


def test_zero_runs_answer_200_with_insufficient_data(shared_server: Server) -> None:
    result = _compare(shared_server, baseline=uid("none"), candidate=uid("none"))
    assert {v["verdict"] for v in result["metrics"].values()} == {"insufficient_data"}
    assert result["metrics"]["cost"]["baseline"] is None and result["policy"]["passed"] is True
    gated = _compare(
        shared_server, baseline="a", candidate="b", min_runs=1, max_cost_increase_pct=5
    )
    assert gated["policy"]["passed"] is False and len(gated["policy"]["reasons"]) == 3


def test_type_unit_and_time_window(shared_server: Server, fixed: dict[str, Any]) -> None:
    llm = _compare(shared_server, baseline=fixed["base"], candidate=fixed["cand"], type="llm")
    assert llm["unit"] == "llm run" and llm["metrics"]["tokens"]["baseline"] == 15_500
    # from/to on start time, inclusive: the first ten runs of each release (minutes 1-10)
    early = _compare(
        shared_server,
        baseline=fixed["base"],
        candidate=fixed["base"],
        **{"from": ts(0, minute=1, hour=8), "to": ts(0, minute=10, hour=8)},
    )
    assert (
        early["baseline"]["runs"] == 10 and early["baseline"]["from"] == "2026-05-29T08:01:00.000Z"
    )
    assert early["metrics"]["cost"]["verdict"] == "insufficient_data"
    recent = _compare(shared_server, baseline=fixed["base"], candidate=fixed["cand"], window="7d")
    assert recent["baseline"]["runs"] == 0  # the data set is from May 2026


@pytest.mark.parametrize(
    "params, status, message",
    [
        ({"baseline": "a"}, 422, "baseline and candidate"),
        ({"baseline": "a", "candidate": "b", "color": "red"}, 422, "unknown parameter(s) color"),
        ({"baseline": "a", "candidate": "b", "window": "7 days"}, 422, "positive duration"),
        ({"baseline": "a", "candidate": "b", "window": "99999999999w"}, 422, "at most a century"),
        (
            {"baseline": "a", "candidate": "b", "window": "7d", "from": "2026-01-01"},
            422,
            "either window or from/to",
        ),
        ({"baseline": "a", "candidate": "b", "from": "yesterday"}, 422, "ISO-8601"),
        ({"baseline": "a", "candidate": "b", "type": "chat"}, 422, "type must be one of"),
        ({"baseline": "a", "candidate": "b", "max_cost_increase_pct": "-1"}, 422, "non-negative"),
        ({"baseline": "a", "candidate": "b", "min_runs": "2.5"}, 422, "whole number"),
        ({"baseline": "a", "candidate": "b", "around": "x"}, 422, "not both"),
        ({"around": "no-such-change"}, 404, "no change with ref 'no-such-change'"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    shared_server: Server, params: dict[str, str], status: int, message: str
) -> None:
    resp = shared_server.client.get("/api/compare", params=params)
    assert resp.status_code == status and message in resp.json()["detail"], resp.text


# -- changes ----------------------------------------------------------------------------


def test_changes_are_recorded_and_listed(server: Server) -> None:
    posted = server.client.post(
        "/api/changes",
        json={
            "kind": "code",
            "ref": "git:9f2c1a",
            "summary": "Bumped refund tool to v3 schema",
            "at": "2026-07-01T14:02:00Z",
        },
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["at"] == "2026-07-01T14:02:00.000Z" and posted.json()["id"] >= 1
    server.client.post(
        "/api/changes",
        json={"kind": "prompt", "ref": "prompt-v7", "at": "2026-07-01T12:00:00+02:00"},
    )
    now = server.client.post("/api/changes", json={"kind": "runtime", "ref": "gpt-4.1"}).json()
    assert now["at"] > "2026-07-03"  # defaults to now
    listed = server.client.get("/api/changes").json()["changes"]
    assert [c["ref"] for c in listed] == ["prompt-v7", "git:9f2c1a", "gpt-4.1"]  # oldest first
    window = server.client.get(
        "/api/changes", params={"from": "2026-07-01T11:00:00Z", "to": "2026-07-01T23:59:59Z"}
    )
    assert [c["ref"] for c in window.json()["changes"]] == ["git:9f2c1a"]
    assert [
        c["ref"]
        for c in server.client.get("/api/changes", params={"kind": "prompt"}).json()["changes"]
    ] == ["prompt-v7"]
    for body, field in (
        ({"kind": "deploy", "ref": "x"}, "kind"),
        ({"kind": "code", "ref": ""}, "ref"),
        ({"kind": "code", "ref": "x", "at": "2026-07-01T00:00:00"}, "timezone"),
        ({"kind": "code", "ref": "x", "extra": 1}, "extra"),
    ):
        bad = server.client.post("/api/changes", json=body)
        assert bad.status_code == 422 and field in bad.text, bad.text
    assert server.client.get("/api/changes", params={"kind": "deploy"}).status_code == 422
    assert server.client.get("/api/changes", params={"from": "soon"}).status_code == 422


def _window_runs(release: str, hour: int, latency_s: float) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i in range(N):
        rid = uid("w")
        events += [
            {
                "name": "agent_start",
                "run_id": rid,
                "timestamp": ts(i, minute=i, hour=hour, day=1),
                "release": release,
            },
            {
                "name": "agent_end",
                "run_id": rid,
                "timestamp": ts(i + latency_s, minute=i, hour=hour, day=1),
            },
        ]
    return events


def test_compare_around_a_change(server: Server) -> None:
    # day 1: hour 9 before the change (latency 1 s), hour 10 after it (2 s); hour 7 is outside
    server.report(
        _window_runs("v1", 7, 9.0) + _window_runs("v1", 9, 1.0) + _window_runs("v2", 10, 2.0)
    )
    server.client.post(
        "/api/changes", json={"kind": "prompt", "ref": "prompt-v8", "at": "2026-05-01T10:00:00Z"}
    )
    result = _compare(server, around="prompt-v8", window="1h")
    assert result["change"]["ref"] == "prompt-v8"
    assert (
        result["baseline"]["from"] == "2026-05-01T09:00:00.000Z"
        and result["baseline"]["to"] == "2026-05-01T10:00:00.000Z"
    )
    assert (
        result["candidate"]["release"] is None
        and result["candidate"]["to"] == "2026-05-01T11:00:00.000Z"
    )
    assert (result["baseline"]["runs"], result["candidate"]["runs"]) == (30, 30)
    assert (
        result["metrics"]["latency_p50"]["baseline"] == 1.0
        and result["metrics"]["latency_p50"]["candidate"] == 2.0
    )
    assert result["metrics"]["latency_p50"]["verdict"] == "regressed"
    wide = _compare(server, around="prompt-v8")  # 24 h each side: hour 7 joins the baseline
    assert wide["baseline"]["runs"] == 60


# -- the command -------------------------------------------------------------------------


def observatory(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed command in a child process (~2 s of imports each on a busy machine)."""
    return subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def inproc(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``observatory ARGS`` in this process (same code as the command, without its start-up)."""

    def run(*args: str, cwd: Path | None = None) -> Done:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def test_cli_compare_formats_and_exit_codes(
    shared_server: Server, fixed: dict[str, Any], tmp_path: Path, inproc: Any
) -> None:
    pair = [fixed["base"], fixed["cand"], "--agent", "bot", "--url", shared_server.url]
    as_json = inproc("compare", *pair, "--format", "json", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    parsed = json.loads(as_json.stdout)
    assert (
        parsed["metrics"]["tokens"]["candidate"] == 23_250
        and parsed["baseline"]["release"] == fixed["base"]
    )
    text = inproc("compare", *pair, cwd=tmp_path)
    assert text.returncode == 0 and "latency p95 (s)" in text.stdout and "2.9" in text.stdout
    assert "error rate" in text.stdout and "+10.00 pp" in text.stdout
    markdown = observatory(
        "compare",
        *pair,
        "--format",
        "markdown",
        "--fail-on-regression",
        "--max-cost-increase-pct",
        "10",
        cwd=tmp_path,
    )
    assert markdown.returncode == 1, markdown.stderr
    assert markdown.stdout.startswith("### Observatory compare: ❌ policy failed")
    assert (
        "| metric | baseline | candidate |" in markdown.stdout
        and "cost rose +50.0%" in markdown.stdout
    )
    gate_ok = inproc(
        "compare", *pair, "--fail-on-regression", "--max-cost-increase-pct", "60", cwd=tmp_path
    )
    assert gate_ok.returncode == 0 and "policy: passed" in gate_ok.stdout
    # the SDK's environment variables name the receiver when --url is absent
    env = observatory(
        "compare",
        fixed["base"],
        fixed["cand"],
        "--format",
        "json",
        cwd=tmp_path,
        env={"OBSERVATORY_API_URL": shared_server.url},
    )
    assert env.returncode == 0 and json.loads(env.stdout)["baseline"]["runs"] == 30


def test_cli_policy_from_pyproject_and_flags_override(
    shared_server: Server, fixed: dict[str, Any], tmp_path: Path, inproc: Any
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "agent"\n\n[tool.observatory.policy]\nmax_cost_increase_pct = 10\nmin_runs = 20\n'
    )
    inner = tmp_path / "src" / "pkg"
    inner.mkdir(parents=True)
    pair = [
        fixed["base"],
        fixed["cand"],
        "--agent",
        "bot",
        "--url",
        shared_server.url,
        "--fail-on-regression",
    ]
    failed = inproc("compare", *pair, "--format", "json", cwd=inner)  # found from a subfolder
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["policy"]["thresholds"] == {
        "max_cost_increase_pct": 10,
        "min_runs": 20,
    }
    overridden = inproc(
        "compare", *pair, "--max-cost-increase-pct", "55", "--format", "json", cwd=inner
    )
    assert overridden.returncode == 0
    assert json.loads(overridden.stdout)["policy"]["thresholds"] == {
        "max_cost_increase_pct": 55,
        "min_runs": 20,
    }
    (tmp_path / "pyproject.toml").write_text("[tool.observatory.policy]\nmax_cost = 10\n")
    bad = inproc("compare", *pair, cwd=inner)
    assert bad.returncode == 2 and "unknown policy key(s) max_cost" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_cli_changes_and_around(server: Server, tmp_path: Path, inproc: Any) -> None:
    server.report(_window_runs("v1", 9, 1.0) + _window_runs("v2", 10, 1.0))
    added = observatory(
        "changes",
        "add",
        "code",
        "git:abc",
        "Refund tool v3",
        "--at",
        "2026-05-01T10:00:00Z",
        "--url",
        server.url,
    )
    assert added.returncode == 0 and "recorded change" in added.stdout and "git:abc" in added.stdout
    listed = inproc("changes", "list", "--url", server.url)
    assert (
        "git:abc" in listed.stdout and "Refund tool v3" in listed.stdout and "code" in listed.stdout
    )
    around = inproc(
        "compare",
        "--around",
        "git:abc",
        "--window",
        "1h",
        "--url",
        server.url,
        "--fail-on-regression",
        cwd=tmp_path,
    )
    assert around.returncode == 0, around.stderr
    assert "around code change git:abc" in around.stdout and "(30 runs)" in around.stdout
    for argv, message in (
        (["compare", "--around", "nope", "--url", server.url], "no change with ref 'nope'"),
        (
            ["compare", "a", "b", "--from", "soon", "--url", server.url],
            "--from must be an ISO-8601 time",
        ),
        (["compare", "a", "b", "--around", "git:abc", "--url", server.url], "not both"),
        (["changes", "add", "deploy", "r", "s", "--url", server.url], "invalid choice: 'deploy'"),
        (["changes", "list", "--url", "http://127.0.0.1:9"], "cannot reach the receiver"),
    ):
        done = inproc(*argv, cwd=tmp_path)
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_projects_never_see_each_others_releases_changes_or_runs(server: Server) -> None:
    key_a, key_b = server.create_key("team-a"), server.create_key("team-b")
    release = uid("shared-name")
    server.report(_window_runs(release, 9, 1.0), key=key_a)
    posted = server.client.post(
        "/api/changes", json={"kind": "config", "ref": "cfg-1"}, headers=server.headers(key_a)
    )
    assert posted.status_code == 201
    get_b = {"headers": server.headers(key_b)}
    assert server.client.get("/api/releases", **get_b).json()["releases"] == []
    assert server.client.get("/api/changes", **get_b).json()["changes"] == []
    assert server.client.get("/api/compare", params={"around": "cfg-1"}, **get_b).status_code == 404
    seen_by_b = server.client.get(
        "/api/compare", params={"baseline": release, "candidate": release}, **get_b
    ).json()
    assert seen_by_b["baseline"]["runs"] == 0
    seen_by_a = server.client.get(
        "/api/compare",
        params={"baseline": release, "candidate": release},
        headers=server.headers(key_a),
    ).json()
    assert seen_by_a["baseline"]["runs"] == 30
    assert (
        server.client.get("/api/compare", params={"baseline": "a", "candidate": "b"}).status_code
        == 401
    )


def test_distributions_for_drawing_both_releases(
    shared_server: Server, fixed: dict[str, Any]
) -> None:
    result = _compare(shared_server, baseline=fixed["base"], candidate=fixed["cand"], agent="bot")
    latency = result["distributions"]["latency"]
    assert len(latency["baseline"]) == len(latency["candidate"]) == 101
    assert (
        latency["baseline"][0] == 0.1
        and latency["baseline"][50] == 1.5
        and latency["baseline"][100] == 3.0
    )
    assert latency["candidate"][95] == 3.1 and latency["baseline"] == sorted(latency["baseline"])
    assert result["distributions"]["cost"]["candidate"][100] == pytest.approx(0.045)
    empty = _compare(shared_server, baseline=uid(), candidate=uid())["distributions"]
    assert empty == {
        "latency": {"baseline": [], "candidate": []},
        "cost": {"baseline": [], "candidate": []},
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("[tool]\nobservatory = 3\n", "must be a table"),
        ("[tool.observatory.policy]\nmin_runs = true\n", "must be a number"),
        ("[tool.observatory.policy]\nmax_cost_increase_pct = -5\n", "non-negative"),
        ("x = [", "cannot read"),
    ],
)
def test_a_bad_policy_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    from observatory.server.policy_file import PolicyFileError, load_policy

    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(PolicyFileError, match=message):
        load_policy(tmp_path)


def test_no_policy_table_means_no_policy(tmp_path: Path) -> None:
    from observatory.server.policy_file import load_policy

    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert load_policy(tmp_path / "sub" / "dir") == ({}, None)  # a folder that need not exist
