// The UI's root: top bar, sign-in gate, and the page for the current URL.
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { get, onRefused } from "./api.js";
import { clearKey, getKey } from "./auth.js";
import { interceptLinks, route, useLocation } from "./router.js";
import { SignIn } from "./pages/signin.js";
import { RunsPage } from "./pages/runs.js";
import { TracePage } from "./pages/trace.js";
import { ThreadsPage } from "./pages/threads.js";
import { ThreadPage } from "./pages/thread.js";
import { DashboardPage } from "./pages/dashboard.js";
import { ComparePage } from "./pages/compare.js";

const PAGES = {
  runs: RunsPage,
  trace: TracePage,
  threads: ThreadsPage,
  thread: ThreadPage,
  dashboard: DashboardPage,
  compare: ComparePage,
};

function NavLink({ href, label, active }) {
  return html`<a href=${href} class=${active ? "active" : ""} aria-current=${active ? "page" : undefined}>${label}</a>`;
}

function App() {
  const loc = useLocation();
  // session: null = checking, {project} = signed in, {refused: message} = needs a key,
  // {error: message} = the receiver could not be asked
  const [session, setSession] = useState(null);

  const check = useCallback(async () => {
    try {
      const me = await get("/api/me");
      setSession({ project: me.project });
    } catch (err) {
      if (err.status !== 401 && err.status !== 403) setSession({ error: err.message });
      // refusals reach onRefused below
    }
  }, []);

  useEffect(() => {
    const off = onRefused((err, sentKey) => {
      if (sentKey && sentKey !== getKey()) return; // an answer to a key already replaced
      if (sentKey) clearKey();
      setSession({ refused: sentKey ? "That API key is invalid." : err.message });
    });
    check();
    return off;
  }, [check]);

  const [name, params] = route(loc.path);
  const Page = PAGES[name];
  const signOut = () => {
    clearKey();
    setSession(null);
    check();
  };

  // the page loads its data while /api/me answers (a refusal from either shows sign-in)
  let body;
  if (session?.error) body = html`<p class="error" role="alert">${session.error}</p>`;
  else if (session?.refused) body = html`<${SignIn} message=${session.refused} onSignedIn=${check} />`;
  else if (!Page) body = html`<p>No page at ${loc.path}. Try <a href="/runs">the runs</a>.</p>`;
  else body = html`<${Page} key=${name === "trace" ? "trace" : loc.path} params=${params} search=${loc.search} />`;

  return html`
    <header class="topbar">
      <a class="brand" href="/runs">Observatory</a>
      <nav aria-label="Pages">
        <${NavLink} href="/runs" label="LLM Calls" active=${name === "runs" || name === "trace"} />
        <${NavLink} href="/threads" label="Threads" active=${name === "threads" || name === "thread"} />
        <${NavLink} href="/dashboard" label="Dashboard" active=${name === "dashboard"} />
        <${NavLink} href="/compare" label="Compare" active=${name === "compare"} />
      </nav>
      <span class="spacer"></span>
      ${session?.project && html`<span class="project" title="project">project: <strong>${session.project}</strong></span>`}
      ${getKey() && session?.project && html`<button type="button" onClick=${signOut}>Sign out</button>`}
      <a href="/docs" class="muted">API</a>
    </header>
    <main>${body}</main>
  `;
}

interceptLinks();
render(html`<${App} />`, document.getElementById("app"));
