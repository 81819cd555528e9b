// /compare: two releases (or the windows around a change) side by side, from GET
// /api/compare: the policy result, the metrics table with verdicts, and both releases'
// latency and cost distributions drawn one over the other. The URL is the compare.
import { useEffect, useMemo, useState } from "preact/hooks";
import { html } from "../html.js";
import { get } from "../api.js";
import { navigate } from "../router.js";
import { COMPARE_PARAMS, compareQueryString, isComparable, parseCompareQuery } from "../compare-query.js";
import { METRICS, VERDICT_TEXT, formatCi, formatDiff, formatP, formatRel } from "../compare-format.js";
import { formatCost, formatCount, formatLatency } from "../format.js";
import { Chart, PALETTE } from "../chart.js";
import { ErrorNote, Time } from "../widgets.js";

const PERCENTILES = Array.from({ length: 101 }, (_, i) => i);

function Control({ param, value, onChange }) {
  const common = {
    name: param.name,
    id: `c-${param.name}`,
    value: value ?? "",
    onInput: (e) => onChange(param.name, e.target.value),
  };
  let control;
  if (param.kind === "select") {
    control = html`<select ...${common} onChange=${common.onInput}>
      <option value="">${param.any ?? "any"}</option>
      ${param.options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select>`;
  } else {
    control = html`<input type=${param.kind === "number" ? "number" : "text"} step="any"
      list=${param.kind === "release" ? "c-releases" : undefined}
      placeholder=${param.hint ?? (param.kind === "release" ? "release" : "")} ...${common} />`;
  }
  return html`<div class="filter"><label for=${common.id}>${param.name}</label>${control}</div>`;
}

/** The form: one control per API parameter; the release pickers offer GET /api/releases. */
function CompareForm({ applied }) {
  const [draft, setDraft] = useState(applied);
  const [releases, setReleases] = useState([]);
  useEffect(() => setDraft(applied), [JSON.stringify(applied)]);
  useEffect(() => {
    let stale = false;
    get("/api/releases", { agent: applied.agent }).then(
      (answer) => !stale && setReleases(answer.releases),
      () => {}, // the pickers still take any text
    );
    return () => {
      stale = true;
    };
  }, [applied.agent]);
  const onChange = (name, value) => setDraft((d) => ({ ...d, [name]: value }));
  const submit = (event) => {
    event.preventDefault();
    navigate(`/compare${compareQueryString(draft)}`);
  };
  const names = [...new Set(releases.map((r) => r.release))];
  return html`<form class="filters compare-form" onSubmit=${submit} aria-label="Compare">
    ${COMPARE_PARAMS.filter((p) => !p.policy).map((p) => html`<${Control} param=${p} value=${draft[p.name]} onChange=${onChange} />`)}
    <fieldset class="policy-fields"><legend>policy</legend>
      ${COMPARE_PARAMS.filter((p) => p.policy).map((p) => html`<${Control} param=${p} value=${draft[p.name]} onChange=${onChange} />`)}
    </fieldset>
    <datalist id="c-releases">${names.map((n) => html`<option value=${n}></option>`)}</datalist>
    <div class="filter actions"><button type="submit">Compare</button><a href="/compare">Clear</a></div>
  </form>`;
}

function sideText(side) {
  const what = side.release ?? "any release";
  const range = side.from || side.to ? html` (<${Time} iso=${side.from} /> – <${Time} iso=${side.to} />)` : "";
  return html`<strong>${what}</strong>${range}: ${formatCount(side.runs)} runs${side.truncated ? " (newest only)" : ""}`;
}

function Policy({ policy }) {
  return html`<section class=${`policy ${policy.passed ? "passed" : "failed"}`} aria-label="Policy">
    <strong>${policy.passed ? "Policy passed" : "Policy failed"}</strong>
    ${Object.keys(policy.thresholds).length > 0 && html` <span class="muted">(${Object.entries(policy.thresholds).map(([k, v]) => `${k}=${v}`).join(", ")})</span>`}
    ${policy.reasons.length > 0 && html`<ul>${policy.reasons.map((r) => html`<li>${r}</li>`)}</ul>`}
  </section>`;
}

function MetricsTable({ result }) {
  return html`<div class="table-wrap"><table class="metrics" aria-label="Metrics">
    <thead><tr>
      <th>metric</th><th class="num">baseline</th><th class="num">candidate</th><th class="num">abs diff</th>
      <th class="num">rel diff</th><th class="num">95% CI of diff</th><th class="num">p (Holm)</th>
      <th class="num">n</th><th>verdict</th>
    </tr></thead>
    <tbody>${METRICS.map((metric) => {
      const m = result.metrics[metric.name];
      if (!m) return null;
      return html`<tr data-metric=${metric.name} class=${`verdict-${m.verdict}`}>
        <th scope="row">${metric.label}</th>
        <td class="num">${metric.format(m.baseline)}</td>
        <td class="num">${metric.format(m.candidate)}</td>
        <td class="num">${formatDiff(metric, m.abs_diff)}</td>
        <td class="num">${formatRel(m.rel_diff)}</td>
        <td class="num">${formatCi(metric, m.ci)}</td>
        <td class="num" title=${m.p_value === null ? "" : `raw p=${m.p_value} (${m.test})`}>${formatP(m.p_adjusted)}</td>
        <td class="num">${formatCount(m.n_baseline)} / ${formatCount(m.n_candidate)}</td>
        <td><span class=${`verdict verdict-${m.verdict}`}>${VERDICT_TEXT[m.verdict] ?? m.verdict}</span></td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

/** Both sides' percentiles 0-100 as two curves on one chart (x: percentile). */
function Distribution({ title, dist, format, labels }) {
  const series = useMemo(
    () => [
      { label: labels[0], values: dist.baseline, color: PALETTE[0] },
      { label: labels[1], values: dist.candidate, color: PALETTE[1] },
    ],
    [dist],
  );
  if (!dist.baseline.length && !dist.candidate.length) return null;
  // a side without runs has no percentiles: uPlot wants one value per x
  const filled = series.map((s) => ({ ...s, values: s.values.length ? s.values : PERCENTILES.map(() => null) }));
  return html`<${Chart} title=${title} times=${PERCENTILES} series=${filled} format=${format}
    xTime=${false} xLabel="percentile of runs" />`;
}

export function ComparePage({ search }) {
  const applied = parseCompareQuery(search);
  const key = compareQueryString(applied);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    setResult(null);
    setError(null);
    if (!isComparable(applied)) return undefined;
    let stale = false;
    get("/api/compare", applied).then(
      (answer) => !stale && setResult(answer),
      (err) => !stale && setError(err.message),
    );
    return () => {
      stale = true;
    };
  }, [key]);

  const labels = result
    ? [result.baseline.release ?? "before", result.candidate.release ?? "after"]
    : ["baseline", "candidate"];
  return html`<section class="compare-page">
    <h1>Compare</h1>
    <${CompareForm} applied=${applied} />
    <${ErrorNote} message=${error} />
    ${!isComparable(applied) && html`<p class="muted">Pick a baseline and a candidate release, or a change's ref in <code>around</code>.</p>`}
    ${isComparable(applied) && !result && !error && html`<p class="muted">Comparing…</p>`}
    ${result && html`<div class="compare-result">
      <p class="sides">${sideText(result.baseline)} → ${sideText(result.candidate)}${"; "}
        ${result.unit}s${result.agent ? ` of agent ${result.agent}` : ""}
        ${result.change && html`; around <strong>${result.change.kind} ${result.change.ref}</strong> (<${Time} iso=${result.change.at} />)`}</p>
      <${Policy} policy=${result.policy} />
      <${MetricsTable} result=${result} />
      <p class="muted">Differences are candidate − baseline; lower is better. p-values are
        Holm-adjusted across the metrics; under ${result.min_sample} runs per side a metric has insufficient data.</p>
      <div class="charts">
        <${Distribution} title="Latency distribution" dist=${result.distributions.latency} format=${formatLatency} labels=${labels} />
        <${Distribution} title="Cost per run distribution" dist=${result.distributions.cost} format=${formatCost} labels=${labels} />
      </div>
    </div>`}
  </section>`;
}
