// The compare page's state is its query string, in GET /api/compare's own names, so a
// compare is a link. Pure (no DOM): unit-tested with `node --test`.

/** Every parameter of GET /api/compare, in the server's order (a test compares the lists). */
export const COMPARE_PARAMS = [
  { name: "baseline", kind: "release" },
  { name: "candidate", kind: "release" },
  { name: "around", kind: "text", hint: "a change's ref" },
  { name: "window", kind: "text", hint: "7d, 24h, 30m" },
  { name: "agent", kind: "text" },
  { name: "type", kind: "select", options: ["agent", "llm", "tool"], any: "root runs" },
  { name: "from", kind: "text", hint: "ISO time" },
  { name: "to", kind: "text", hint: "ISO time" },
  { name: "seed", kind: "number" },
  { name: "max_cost_increase_pct", kind: "number", policy: true },
  { name: "max_p95_latency_increase_pct", kind: "number", policy: true },
  { name: "max_error_rate_increase_pp", kind: "number", policy: true },
  { name: "min_runs", kind: "number", policy: true },
];
const NAMES = COMPARE_PARAMS.map((p) => p.name);

/** Query string -> {name: value} of the known parameters (first value, trimmed). */
export function parseCompareQuery(search) {
  const params = new URLSearchParams(search);
  const out = {};
  for (const name of NAMES) {
    const value = (params.get(name) ?? "").trim();
    if (value) out[name] = value;
  }
  return out;
}

/** {name: value} -> "?baseline=v1&candidate=v2" in parameter order, empties left out. */
export function compareQueryString(values) {
  const params = new URLSearchParams();
  for (const name of NAMES) {
    const value = values[name];
    if (value !== undefined && value !== null && String(value).trim() !== "") params.set(name, String(value).trim());
  }
  const qs = params.toString();
  return qs ? `?${qs}` : "";
}

/** Whether the values name something to compare: two releases, or a change. */
export function isComparable(values) {
  return Boolean(values.around || (values.baseline && values.candidate));
}
