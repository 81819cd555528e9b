// Every call to the receiver's API: adds the Bearer key, turns failures into ApiError.
import { getKey } from "./auth.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Listeners told when the API refuses the caller (401/403), with the key that was sent
// (null for none): the app shows sign-in.
const refusedListeners = new Set();
export function onRefused(listener) {
  refusedListeners.add(listener);
  return () => refusedListeners.delete(listener);
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!resp.ok) {
    let detail = resp.statusText;
    try {
      const data = await resp.json();
      detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    } catch {
      /* not JSON: keep the status text */
    }
    const error = new ApiError(resp.status, detail);
    if (resp.status === 401 || resp.status === 403) refusedListeners.forEach((l) => l(error, key));
    throw error;
  }
  return resp.json();
}

/** GET path with query params (arrays repeat the name; empty values are left out). */
export function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null && v !== "") query.append(name, v);
    }
  }
  const qs = query.toString();
  return request("GET", qs ? `${path}?${qs}` : path);
}

/** POST events to /api/report (feedback, saved). */
export function report(events) {
  return request("POST", "/api/report", { events });
}

export const enc = encodeURIComponent;
