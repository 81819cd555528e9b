// /threads: conversations, most recently active first, one API page at a time.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { enc, get } from "../api.js";
import { formatCount } from "../format.js";
import { ErrorNote, Time } from "../widgets.js";

const PAGE = 50;

export function ThreadsPage({ search }) {
  const query = new URLSearchParams(search);
  const filters = { agent: query.get("agent") ?? "", user_email: query.get("user_email") ?? "" };
  const [threads, setThreads] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [state, setState] = useState({ loading: true, error: null });

  const load = async (after) => {
    setState({ loading: true, error: null });
    try {
      const page = await get("/api/threads", { ...filters, limit: PAGE, cursor: after });
      setThreads((current) => (after ? [...current, ...page.threads] : page.threads));
      setCursor(page.next_cursor);
      setState({ loading: false, error: null });
    } catch (err) {
      setState({ loading: false, error: err.message });
    }
  };
  useEffect(() => {
    load(null);
  }, [search]);

  return html`<section>
    <h1>Threads</h1>
    <form class="filters" method="get" action="/threads" aria-label="Thread filters">
      <div class="filter"><label for="t-agent">agent</label><input id="t-agent" name="agent" value=${filters.agent} /></div>
      <div class="filter"><label for="t-user">user_email</label><input id="t-user" name="user_email" value=${filters.user_email} /></div>
      <div class="filter actions"><button type="submit">Apply</button><a href="/threads">Clear</a></div>
    </form>
    <${ErrorNote} message=${state.error} />
    <div class="table-wrap">
      <table class="threads" aria-label="Threads">
        <thead><tr><th>thread</th><th>agent</th><th>user</th><th class="num">messages</th><th>last activity</th></tr></thead>
        <tbody>
          ${threads.map((t) => html`<tr data-thread-id=${t.thread_id}>
            <td><a href=${`/threads/${enc(t.thread_id)}`}>${t.thread_id}</a></td>
            <td>${t.agent ?? ""}</td>
            <td>${t.user_email ?? ""}</td>
            <td class="num">${formatCount(t.message_count)}</td>
            <td><${Time} iso=${t.last_time} /></td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    <p class="muted" aria-live="polite">${state.loading ? "Loading…" : `${threads.length} threads shown${cursor ? "" : " (all)"}`}</p>
    ${cursor && !state.loading && html`<button type="button" onClick=${() => load(cursor)}>Load more</button>`}
  </section>`;
}
