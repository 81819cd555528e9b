// /dashboard: a window's totals, cost by model, runs and errors, latency, top lists and
// the llm runs that cost 0, from the GET /api/stats/* aggregates.
import { useEffect, useMemo, useState } from "preact/hooks";
import { html } from "../html.js";
import { get } from "../api.js";
import { navigate } from "../router.js";
import { costReason, formatCost, formatCount, formatLatency, formatPercent } from "../format.js";
import { Chart, PALETTE, stack } from "../chart.js";
import { KIND_COLORS, changeMarkers, markerTitle } from "../markers.js";
import { ErrorNote, Time } from "../widgets.js";

const WINDOWS = [
  ["1h", "Last hour", 3600],
  ["24h", "Last day", 86400],
  ["7d", "7 days", 7 * 86400],
  ["30d", "30 days", 30 * 86400],
];

/** {from, to} ISO strings for the URL's window (a named one, or from/to). */
export function windowOf(search, now = Date.now()) {
  const q = new URLSearchParams(search);
  if (q.get("from") || q.get("to")) return { name: null, from: q.get("from") ?? "", to: q.get("to") ?? "" };
  const [name, , seconds] = WINDOWS.find(([n]) => n === q.get("window")) ?? WINDOWS[1];
  return { name, from: new Date(now - seconds * 1000).toISOString(), to: new Date(now).toISOString() };
}

function Total({ label, value, cls }) {
  return html`<div class=${`total ${cls}`}><div class="value">${value}</div><div class="label">${label}</div></div>`;
}

function WindowPicker({ current }) {
  const [from, setFrom] = useState(current.name ? "" : current.from);
  const [to, setTo] = useState(current.name ? "" : current.to);
  const submit = (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (from) q.set("from", from);
    if (to) q.set("to", to);
    navigate(`/dashboard?${q}`);
  };
  return html`<form class="windows" onSubmit=${submit} aria-label="Window">
    ${WINDOWS.map(([name, label]) => html`<a href=${`/dashboard?window=${name}`}
      class=${current.name === name ? "active" : ""} aria-current=${current.name === name ? "true" : undefined}
      role="button">${label}</a>`)}
    <div class="filter"><label for="d-from">from</label><input id="d-from" value=${from} placeholder="ISO time" onInput=${(e) => setFrom(e.target.value)} /></div>
    <div class="filter"><label for="d-to">to</label><input id="d-to" value=${to} placeholder="ISO time" onInput=${(e) => setTo(e.target.value)} /></div>
    <button type="submit">Show</button>
  </form>`;
}

function TopTable({ title, rows }) {
  return html`<section><h2>${title}</h2><table aria-label=${title}>
    <thead><tr><th>name</th><th class="num">runs</th><th class="num">cost</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr><td>${r.key}</td><td class="num">${formatCount(r.runs)}</td><td class="num">${formatCost(r.cost_usd)}</td></tr>`)}</tbody>
  </table>${rows.length === 0 && html`<p class="muted">Nothing in this window.</p>`}</section>`;
}

/** The changes the charts mark, in words (the markers say the same on hover). */
function ChangesLegend({ changes }) {
  if (!changes.length) return null;
  return html`<section aria-label="Changes"><h2>Changes (dashed lines)</h2>
    <ul class="changes-legend">${changes.map((c) => html`<li data-ref=${c.ref} title=${markerTitle(c)}>
      <span class="swatch" style=${{ borderColor: KIND_COLORS[c.kind] ?? "#64748b" }}></span>
      <${Time} iso=${c.at} /> <strong>${c.kind}</strong> <code>${c.ref}</code> ${c.summary}
      <a href=${`/compare?around=${encodeURIComponent(c.ref)}`}>compare around</a></li>`)}</ul>
  </section>`;
}

export function DashboardPage({ search }) {
  const win = useMemo(() => windowOf(search), [search]);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    let stale = false;
    setError(null);
    const w = { from: win.from, to: win.to };
    Promise.all([
      get("/api/stats/summary", w),
      get("/api/stats/timeseries", w),
      get("/api/stats/top", { ...w, by: "agent" }),
      get("/api/stats/top", { ...w, by: "model" }),
      get("/api/stats/zero-cost", w),
      get("/api/changes", w),
    ]).then(
      ([summary, series, agents, models, zero, changes]) =>
        !stale && setData({ summary, series, agents, models, zero, changes: changes.changes }),
      (err) => !stale && setError(err.message),
    );
    return () => {
      stale = true;
    };
  }, [win.from, win.to]);

  const charts = useMemo(() => {
    if (!data) return null;
    const s = data.series;
    const byModel = [...s.cost_by_model].reverse(); // largest stack first: fills overlay to a stack
    const stacked = stack(s.cost_by_model.map((m) => m.cost_usd)).reverse();
    return {
      // one plugin per chart: each keeps its own overlay
      markers: [0, 1, 2].map(() => [changeMarkers(data.changes)]),
      cost: byModel.map((m, i) => ({
        label: m.model,
        values: stacked[i],
        color: PALETTE[(byModel.length - 1 - i) % PALETTE.length],
        fill: `${PALETTE[(byModel.length - 1 - i) % PALETTE.length]}55`,
      })),
      runs: [
        { label: "runs", values: s.runs, color: PALETTE[0] },
        { label: "errors", values: s.errors, color: PALETTE[7], fill: "#dc262633" },
      ],
      latency: [
        // buckets without runs are gaps: points keep a lone bucket visible
        { label: "p50", values: s.latency_p50_s, color: PALETTE[2], points: true },
        { label: "p95", values: s.latency_p95_s, color: PALETTE[3], points: true },
      ],
    };
  }, [data]);

  const sum = data?.summary;
  return html`<section class="dashboard">
    <h1>Dashboard</h1>
    <${WindowPicker} current=${win} />
    <${ErrorNote} message=${error} />
    ${!data && !error && html`<p class="muted">Loading…</p>`}
    ${sum && html`<div class="totals" aria-label="Totals">
      <${Total} cls="cost" label="cost (USD)" value=${formatCost(sum.cost_usd)} />
      <${Total} cls="runs" label="runs (all types)" value=${formatCount(sum.runs)} />
      <${Total} cls="errors" label="errors" value=${formatCount(sum.errors)} />
      <${Total} cls="error-rate" label="error rate" value=${formatPercent(sum.runs ? sum.errors / sum.runs : null)} />
      <${Total} cls="llm-runs" label="llm runs" value=${formatCount(sum.llm_runs)} />
      <${Total} cls="tokens" label="tokens" value=${formatCount(sum.total_tokens)} />
    </div>`}
    ${charts && html`<div class="charts">
      <${Chart} title="Cost over time, stacked by model" times=${data.series.times} series=${charts.cost} plugins=${charts.markers[0]} format=${formatCost} />
      <${Chart} title="Runs and errors" times=${data.series.times} series=${charts.runs} plugins=${charts.markers[1]} />
      <${Chart} title="Latency p50 / p95" times=${data.series.times} series=${charts.latency} plugins=${charts.markers[2]} format=${formatLatency} />
    </div>
    <${ChangesLegend} changes=${data.changes} />
    <div class="side-tables">
      <${TopTable} title="Top agents by cost" rows=${data.agents.items} />
      <${TopTable} title="Top models by cost" rows=${data.models.items} />
      <section><h2>llm runs that cost $0</h2>
        <table aria-label="Zero-cost llm runs">
          <thead><tr><th>cost_status</th><th>why</th><th class="num">runs</th><th>models</th></tr></thead>
          <tbody>${data.zero.items.map((z) => html`<tr data-cost-status=${z.cost_status}>
            <td><code>${z.cost_status}</code></td><td>${costReason(z.cost_status)}</td>
            <td class="num">${formatCount(z.runs)}</td><td>${z.models.join(", ")}</td></tr>`)}</tbody>
        </table>
        ${data.zero.items.length === 0 && html`<p class="muted">Every llm run in this window was priced.</p>`}
      </section>
    </div>`}
  </section>`;
}
