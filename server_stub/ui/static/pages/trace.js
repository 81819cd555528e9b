// /runs/{run_id}: the whole trace as a waterfall, and the selected run's details.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { enc, get } from "../api.js";
import { waterfallRows } from "../tree.js";
import { costCell, formatCost, formatLatency } from "../format.js";
import { ErrorNote } from "../widgets.js";
import { RunDetails } from "./run-details.js";

function WaterfallRow({ row, selected }) {
  const { run, depth, left, width } = row;
  return html`<li class=${`wf-row${selected ? " selected" : ""}`} data-run-id=${run.run_id}
      data-depth=${depth} aria-current=${selected ? "true" : undefined}>
    <div class="wf-label" style=${`padding-left: ${0.5 + depth * 1.1}rem`}>
      <a href=${`/runs/${enc(run.run_id)}`} class="wf-name">${run.name}</a>
      <span class="wf-meta">${run.type} · ${run.status} · ${costCell(run)}</span>
    </div>
    <div class="wf-track" title=${`${formatLatency(run.latency_s)}`}>
      <div class=${`wf-bar type-${run.type} status-${run.status}`}
        style=${`left: ${(left * 100).toFixed(3)}%; width: ${(width * 100).toFixed(3)}%`}></div>
    </div>
  </li>`;
}

export function TracePage({ params }) {
  const { runId } = params;
  const [trace, setTrace] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    if (trace && trace.runs.some((r) => r.run_id === runId)) return; // same trace: keep it
    let stale = false;
    setError(null);
    get(`/api/trace/${enc(runId)}`).then(
      (found) => !stale && setTrace({ ...found, rows: waterfallRows(found.runs, found.root_run_id) }),
      (err) => !stale && setError(err.message),
    );
    return () => {
      stale = true;
    };
  }, [runId]);

  if (error) return html`<${ErrorNote} message=${error} />`;
  if (!trace) return html`<p class="muted">Loading trace…</p>`;
  const root = trace.rows[0]?.run;
  return html`
    <section>
      <div class="page-head">
        <h1>Trace: ${root?.name}</h1>
        <span class="muted">${`${trace.runs.length} runs · ${formatLatency(root?.latency_s)} · ${formatCost(root?.subtree_cost)} in total`}</span>
        <a href="/runs">all runs</a>
      </div>
      ${trace.truncated && html`<p class="error">This trace has more runs than are shown.</p>`}
      <div class="trace">
        <ol class="waterfall" aria-label="Waterfall">
          ${trace.rows.map((row) => html`<${WaterfallRow} key=${row.run.run_id} row=${row} selected=${row.run.run_id === runId} />`)}
        </ol>
        <${RunDetails} runId=${runId} />
      </div>
    </section>`;
}
