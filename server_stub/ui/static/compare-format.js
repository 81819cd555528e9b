// How the compare page writes each metric's numbers. Pure (no DOM): unit-tested with `node --test`.
import { formatCost, formatLatency, formatPercent } from "./format.js";

/** The metrics in the API's order, with a label and how to write a value of each. */
export const METRICS = [
  { name: "latency_p50", label: "latency p50", format: formatLatency },
  { name: "latency_p95", label: "latency p95", format: formatLatency },
  { name: "cost", label: "cost per run", format: formatCost },
  { name: "tokens", label: "tokens per run", format: formatTokensMean },
  { name: "error_rate", label: "error rate", format: formatPercent },
];

export const VERDICT_TEXT = {
  improved: "improved",
  regressed: "regressed",
  no_significant_change: "no significant change",
  insufficient_data: "insufficient data",
};

function formatTokensMean(value) {
  if (value === null || value === undefined) return "–";
  return value.toLocaleString("en-US", { maximumFractionDigits: 1 });
}

/** A difference with its sign: "+250 ms", "−$0.0020", "+2.0%" (error rate in points). */
export function formatDiff(metric, value) {
  if (value === null || value === undefined) return "–";
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  if (metric.name === "error_rate") return `${sign}${(Math.abs(value) * 100).toFixed(1)} pp`;
  return `${sign}${metric.format(Math.abs(value))}`;
}

/** A relative difference: 0.137 -> "+13.7%"; null (baseline 0) -> "–". */
export function formatRel(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return `${value > 0 ? "+" : value < 0 ? "−" : "±"}${(Math.abs(value) * 100).toFixed(1)}%`;
}

/** A p-value for people: "0.032", "0.0016", "6.2e-14"; "–" when there is none. */
export function formatP(value) {
  if (value === null || value === undefined) return "–";
  if (value === 0) return "0";
  if (value >= 0.001) return String(Number(value.toPrecision(2)));
  return value.toExponential(1);
}

/** The 95% interval of the difference: "[+110 ms, +380 ms]". */
export function formatCi(metric, ci) {
  if (!ci) return "–";
  return `[${formatDiff(metric, ci[0])}, ${formatDiff(metric, ci[1])}]`;
}
