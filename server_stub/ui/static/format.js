// Numbers and times for people. Pure functions (no DOM): unit-tested with `node --test`.

export const TRUNCATION_MARKER = "_observatory_truncated";

/** USD: "$0.0123", "$12.35", "$0"; tiny amounts keep 2 significant digits. */
export function formatCost(usd) {
  if (usd === null || usd === undefined) return "–";
  if (usd === 0) return "$0";
  const abs = Math.abs(usd);
  if (abs >= 1) return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (abs >= 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toPrecision(2)}`;
}

/** Seconds: "850 ms", "1.25 s", "2 min 5 s". */
export function formatLatency(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** Token counts with thousands separators; "–" when unknown. */
export function formatTokens(count) {
  if (count === null || count === undefined) return "–";
  return count.toLocaleString("en-US");
}

/** Any count with thousands separators. */
export const formatCount = formatTokens;

/** A percentage with one decimal: 0.1234 -> "12.3%". */
export function formatPercent(ratio) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "–";
  return `${(ratio * 100).toFixed(1)}%`;
}

/** ISO time shown in the browser's zone ("2026-05-29 10:42:11"); `utc` for the tooltip. */
export function formatTime(iso, timeZone = undefined) {
  if (!iso) return { local: "–", utc: "" };
  const date = new Date(iso);
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const get = (type) => parts.find((p) => p.type === type)?.value;
  const local = `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
  return { local, utc: `${date.toISOString().replace("T", " ").replace(".000Z", "Z")} UTC` };
}

const COST_REASONS = {
  ok: "priced",
  not_llm: "not an llm run",
  missing_tokens: "no token counts",
  missing_model: "no model",
  unknown_model: "unknown model (no price row)",
  no_total_price: "no total-token price",
};

/** Why a cost is what it is, in words ("unknown model (no price row)"). */
export function costReason(status) {
  return COST_REASONS[status] ?? status ?? "";
}

/** The cost cell: an llm run's cost (a zero one says why); other runs show their
 * tree's cost (what min_cost/max_cost filter on) when it has one. */
export function costCell(run) {
  if (run.type && run.type !== "llm" && run.subtree_cost > 0) {
    return `${formatCost(run.subtree_cost)} incl. children`;
  }
  const amount = formatCost(run.cost);
  if (run.cost === 0 && run.cost_status && run.cost_status !== "ok" && run.cost_status !== "not_llm") {
    return `${amount} · ${costReason(run.cost_status)}`;
  }
  return amount;
}

/** True for a value the SDK cut short (it carries the truncation marker). */
export function isTruncated(value) {
  return value !== null && typeof value === "object" && value[TRUNCATION_MARKER] === true;
}

/** Pretty JSON of a payload (strings as they are). */
export function prettyJson(value) {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}
