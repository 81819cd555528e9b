// The runs page's state is its query string, in the API's own names, so a view is a link.
// Pure (no DOM): unit-tested with `node --test`.

/** Every filter of GET /api/run/, in the server's order (a test compares the two lists). */
export const RUN_FILTERS = [
  { name: "status", kind: "select", options: ["started", "success", "error"] },
  { name: "type", kind: "select", options: ["agent", "llm", "tool", "span"] },
  { name: "model", kind: "text" },
  { name: "agent", kind: "text" },
  { name: "user_email", kind: "text" },
  { name: "app_id", kind: "text" },
  { name: "release", kind: "text", hint: "version or git sha" },
  { name: "parent_run_id", kind: "text" },
  { name: "trace_id", kind: "text", hint: "32 hex digits" },
  { name: "min_latency_s", kind: "number" },
  { name: "max_latency_s", kind: "number" },
  { name: "min_cost", kind: "number" },
  { name: "max_cost", kind: "number" },
  { name: "tags", kind: "text", hint: "any of, comma-separated" },
  { name: "from", kind: "text", hint: "ISO time" },
  { name: "to", kind: "text", hint: "ISO time" },
];
const NAMES = new Set([...RUN_FILTERS.map((f) => f.name), "limit"]);

/** Query string -> {name: value} of the known parameters (tags joined with commas). */
export function parseRunQuery(search) {
  const params = new URLSearchParams(search);
  const out = {};
  for (const name of NAMES) {
    const values = params.getAll(name).filter((v) => v !== "");
    if (values.length) out[name] = values.join(",");
  }
  return out;
}

/** {name: value} -> "?status=error&model=gpt-4" in filter order, empties left out. */
export function runQueryString(values) {
  const params = new URLSearchParams();
  for (const name of NAMES) {
    const value = values[name];
    if (value !== undefined && value !== null && String(value).trim() !== "") {
      params.set(name, String(value).trim());
    }
  }
  const qs = params.toString();
  return qs ? `?${qs}` : "";
}
