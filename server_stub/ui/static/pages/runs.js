// /runs, the LLM Calls view: filters in the URL, one API page at a time, a live toggle.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { get } from "../api.js";
import { navigate } from "../router.js";
import { RUN_FILTERS, parseRunQuery, runQueryString } from "../query.js";
import { costCell, formatLatency, formatTokens } from "../format.js";
import { Time, Status, Tags, ErrorNote } from "../widgets.js";

const LIVE_INTERVAL_MS = 2000;

function FilterControl({ filter, value, onChange }) {
  const common = {
    name: filter.name,
    id: `f-${filter.name}`,
    value: value ?? "",
    onInput: (e) => onChange(filter.name, e.target.value),
  };
  let control;
  if (filter.kind === "select") {
    control = html`<select ...${common} onChange=${common.onInput}>
      <option value="">any</option>
      ${filter.options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select>`;
  } else {
    control = html`<input type=${filter.kind === "number" ? "number" : "text"} step="any"
      placeholder=${filter.hint ?? ""} ...${common} />`;
  }
  return html`<div class="filter"><label for=${common.id}>${filter.name}</label>${control}</div>`;
}

function Filters({ applied }) {
  const [draft, setDraft] = useState(applied);
  useEffect(() => setDraft(applied), [JSON.stringify(applied)]);
  const onChange = (name, value) => setDraft((d) => ({ ...d, [name]: value }));
  const submit = (event) => {
    event.preventDefault();
    navigate(`/runs${runQueryString(draft)}`);
  };
  return html`
    <form class="filters" onSubmit=${submit} aria-label="Run filters">
      ${RUN_FILTERS.map((f) => html`<${FilterControl} filter=${f} value=${draft[f.name]} onChange=${onChange} />`)}
      <div class="filter actions">
        <button type="submit">Apply</button>
        <a href="/runs">Clear</a>
      </div>
    </form>`;
}

/** Arrow keys move between the rows' links (Tab works too). */
function onTableKey(event) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const links = [...event.currentTarget.querySelectorAll("a.run-link")];
  const at = links.indexOf(document.activeElement);
  if (at < 0) return;
  const next = links[at + (event.key === "ArrowDown" ? 1 : -1)];
  if (next) {
    event.preventDefault();
    next.focus();
  }
}

function RunRow({ run }) {
  return html`<tr class=${`run status-${run.status}`} data-run-id=${run.run_id}>
    <td><${Time} iso=${run.start_time} /></td>
    <td><a class="run-link" href=${`/runs/${encodeURIComponent(run.run_id)}`}>${run.name}</a></td>
    <td>${run.type}</td>
    <td>${run.agent ?? ""}</td>
    <td>${run.model ?? ""}</td>
    <td><${Status} status=${run.status} /></td>
    <td class="num">${formatLatency(run.latency_s)}</td>
    <td class="num">${formatTokens(run.total_tokens)}</td>
    <td class="num cost" title=${run.cost_status}>${costCell(run)}</td>
    <td>${run.user_email ?? ""}</td>
    <td><${Tags} tags=${run.tags} /></td>
  </tr>`;
}

export function RunsPage({ search }) {
  const applied = parseRunQuery(search);
  const key = runQueryString(applied);
  const [runs, setRuns] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [state, setState] = useState({ loading: true, error: null });
  const [live, setLive] = useState(false);
  const known = useRef(new Set());

  useEffect(() => {
    let stale = false;
    setState({ loading: true, error: null });
    get("/api/run/", applied).then(
      (page) => {
        if (stale) return;
        known.current = new Set(page.runs.map((r) => r.run_id));
        setRuns(page.runs);
        setCursor(page.next_cursor);
        setState({ loading: false, error: null });
      },
      (err) => !stale && setState({ loading: false, error: err.message }),
    );
    return () => {
      stale = true;
    };
  }, [key]);

  useEffect(() => {
    if (!live) return undefined;
    const timer = setInterval(async () => {
      try {
        const page = await get("/api/run/", applied);
        const fresh = new Map(page.runs.map((r) => [r.run_id, r]));
        setRuns((current) => {
          const added = page.runs.filter((r) => !known.current.has(r.run_id));
          added.forEach((r) => known.current.add(r.run_id));
          return [...added, ...current.map((r) => fresh.get(r.run_id) ?? r)];
        });
      } catch {
        /* the next tick tries again */
      }
    }, LIVE_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [live, key]);

  const more = async () => {
    setState({ loading: true, error: null });
    try {
      const page = await get("/api/run/", { ...applied, cursor });
      const added = page.runs.filter((r) => !known.current.has(r.run_id));
      added.forEach((r) => known.current.add(r.run_id));
      setRuns((current) => [...current, ...added]);
      setCursor(page.next_cursor);
      setState({ loading: false, error: null });
    } catch (err) {
      setState({ loading: false, error: err.message });
    }
  };

  return html`
    <section class="runs-page">
      <div class="page-head">
        <h1>LLM Calls</h1>
        <label class="live"><input type="checkbox" aria-label="Live" checked=${live}
          onChange=${(e) => setLive(e.target.checked)} /> Live</label>
      </div>
      <${Filters} applied=${applied} />
      <${ErrorNote} message=${state.error} />
      <div class="table-wrap">
        <table class="runs" aria-label="Runs">
          <thead><tr>
            <th>time</th><th>name</th><th>type</th><th>agent</th><th>model</th><th>status</th>
            <th class="num">latency</th><th class="num">tokens</th><th class="num">cost</th>
            <th>user</th><th>tags</th>
          </tr></thead>
          <tbody onKeyDown=${onTableKey}>
            ${runs.map((run) => html`<${RunRow} key=${run.run_id} run=${run} />`)}
          </tbody>
        </table>
      </div>
      <p class="muted" aria-live="polite">
        ${state.loading ? "Loading…" : `${runs.length} run${runs.length === 1 ? "" : "s"} shown${cursor ? "" : " (all)"}`}
      </p>
      ${cursor && !state.loading && html`<button type="button" onClick=${more}>Load more</button>`}
    </section>`;
}
