// One run's details beside the waterfall: payloads, cost and its reason, error, events,
// feedback; thumbs up/down with a comment and Save write through POST /api/report.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { enc, get, report } from "../api.js";
import { costReason, formatCost, formatLatency, formatTokens, prettyJson } from "../format.js";
import { ErrorNote, Payload, Status, Tags, Time } from "../widgets.js";

function FeedbackList({ items }) {
  if (!items?.length) return html`<p class="muted">No feedback yet.</p>`;
  return html`<ul class="feedback-list">
    ${items.map((f) => html`<li class=${`feedback rating-${f.rating}`}>
      ${f.rating === "positive" ? "▲" : "▼"} <span class="rating">${f.rating}</span>
      ${f.comment && html` — <span class="comment">${f.comment}</span>`}
      <span class="muted"> <${Time} iso=${f.timestamp} /></span>
    </li>`)}
  </ul>`;
}

function FeedbackBox({ run, onChanged }) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const send = async (events) => {
    setBusy(true);
    setError(null);
    try {
      const result = await report(events);
      if (result.rejected?.length) throw new Error(result.rejected[0].error);
      onChanged();
      return true;
    } catch (err) {
      setError(err.message);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const rate = async (rating) => {
    const event = { name: "feedback", run_id: run.run_id, rating };
    if (comment.trim()) event.comment = comment.trim();
    if (await send([event])) setComment("");
  };
  return html`<div class="feedback-box">
    <button type="button" aria-label="Thumbs up" title="Thumbs up" disabled=${busy} onClick=${() => rate("positive")}>▲ Up</button>
    <button type="button" aria-label="Thumbs down" title="Thumbs down" disabled=${busy} onClick=${() => rate("negative")}>▼ Down</button>
    <textarea aria-label="Comment" placeholder="Comment (sent with a rating)" value=${comment}
      onInput=${(e) => setComment(e.target.value)}></textarea>
    <button type="button" aria-label="Save" aria-pressed=${run.saved ? "true" : "false"}
      disabled=${busy || run.saved} title=${run.saved ? "Saved: kept past retention" : "Keep this run past retention"}
      onClick=${() => send([{ name: "saved", run_id: run.run_id }])}>${run.saved ? "★ Saved" : "☆ Save"}</button>
    <${ErrorNote} message=${error} />
  </div>`;
}

export function RunDetails({ runId }) {
  const [run, setRun] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let stale = false;
    setError(null);
    get(`/api/run/${enc(runId)}`).then(
      (found) => !stale && setRun(found),
      (err) => !stale && setError(err.message),
    );
    return () => {
      stale = true;
    };
  }, [runId, version]);

  if (error) return html`<${ErrorNote} message=${error} />`;
  if (!run || run.run_id !== runId) return html`<p class="muted">Loading run…</p>`;
  const err = run.error;
  return html`<aside class="details" aria-label="Run details">
    <h2>${run.name} <${Status} status=${run.status} /></h2>
    <dl>
      <dt>run id</dt><dd><code>${run.run_id}</code></dd>
      <dt>type</dt><dd>${run.type}</dd>
      <dt>agent</dt><dd>${run.agent ?? "–"}</dd>
      <dt>start</dt><dd><${Time} iso=${run.start_time} /></dd>
      <dt>latency</dt><dd>${formatLatency(run.latency_s)}</dd>
      <dt>model</dt><dd>${run.model ?? "–"}</dd>
      <dt>tokens</dt><dd>${formatTokens(run.prompt_tokens)} in · ${formatTokens(run.completion_tokens)} out · ${formatTokens(run.total_tokens)} total${run.cached_tokens ? ` · ${formatTokens(run.cached_tokens)} cached` : ""}</dd>
      <dt>cost</dt><dd class="cost">${formatCost(run.cost)} <span class="cost-status">(${run.cost_status}: ${costReason(run.cost_status)})</span></dd>
      <dt>tree cost</dt><dd>${formatCost(run.subtree_cost)}</dd>
      <dt>user</dt><dd>${run.user_email ?? "–"}</dd>
      <dt>tags</dt><dd><${Tags} tags=${run.tags} /></dd>
      ${err && html`<dt>error</dt><dd class="error run-error"><strong>${err.type ?? "error"}</strong>: ${err.message ?? prettyJson(err)}</dd>`}
    </dl>
    <h2>Feedback</h2>
    <${FeedbackBox} run=${run} onChanged=${() => setVersion((v) => v + 1)} />
    <${FeedbackList} items=${run.feedback} />
    <h2>Input</h2>
    <div class="run-input"><${Payload} value=${run.input} /></div>
    <h2>Output</h2>
    <div class="run-output"><${Payload} value=${run.output} /></div>
    <h2>Metadata</h2>
    <${Payload} value=${run.metadata} />
    <h2>Events (${run.events.length})</h2>
    <ul class="events">
      ${run.events.map((ev) => html`<li><code>${ev.name}</code> <span class="muted">${ev.timestamp ?? ""}</span></li>`)}
    </ul>
  </aside>`;
}
