// Client-side navigation: same-origin <a href> clicks and back/forward re-render the
// page without a reload; every URL is also a real page the receiver serves.
import { useEffect, useState } from "preact/hooks";

const listeners = new Set();

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  listeners.forEach((l) => l());
}

/** The current location; re-renders the caller when it changes. */
export function useLocation() {
  const read = () => ({ path: location.pathname, search: location.search });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return loc;
}

/** Intercept plain left clicks on same-origin links to pages of the UI. */
export function interceptLinks(root = document) {
  root.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !/^\/(runs|threads|dashboard|compare)(\/|$)/.test(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** Match a path to a page: [name, params] */
export function route(path) {
  let m;
  if (path === "/runs" || path === "/runs/") return ["runs", {}];
  if ((m = path.match(/^\/runs\/(.+)$/))) return ["trace", { runId: decodeURIComponent(m[1]) }];
  if (path === "/threads" || path === "/threads/") return ["threads", {}];
  if ((m = path.match(/^\/threads\/(.+)$/))) return ["thread", { threadId: decodeURIComponent(m[1]) }];
  if (path === "/dashboard") return ["dashboard", {}];
  if (path === "/compare") return ["compare", {}];
  return ["notfound", {}];
}
