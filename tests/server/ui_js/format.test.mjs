import { test } from "node:test";
import assert from "node:assert/strict";
import {
  costCell, formatCost, formatLatency, formatPercent, formatTime, formatTokens, isTruncated,
} from "../../../server_stub/ui/static/format.js";

test("costs are USD for people", () => {
  assert.equal(formatCost(0), "$0");
  assert.equal(formatCost(12.345), "$12.35");
  assert.equal(formatCost(1234.5), "$1,234.50");
  assert.equal(formatCost(0.0123), "$0.0123");
  assert.equal(formatCost(0.000042), "$0.000042");
  assert.equal(formatCost(null), "–");
});

test("latency switches unit", () => {
  assert.equal(formatLatency(0.85), "850 ms");
  assert.equal(formatLatency(1.25), "1.25 s");
  assert.equal(formatLatency(125), "2 min 5 s");
});

test("tokens and percentages", () => {
  assert.equal(formatTokens(1234567), "1,234,567");
  assert.equal(formatTokens(null), "–");
  assert.equal(formatPercent(0.1234), "12.3%");
});

test("a zero llm cost says why", () => {
  assert.equal(costCell({ cost: 0, cost_status: "unknown_model" }), "$0 · unknown model (no price row)");
  assert.equal(costCell({ cost: 0, cost_status: "not_llm" }), "$0");
  assert.equal(costCell({ cost: 0.5, cost_status: "ok" }), "$0.5000");
  assert.equal(costCell({ type: "agent", cost: 0, cost_status: "not_llm", subtree_cost: 0.012 }), "$0.0120 incl. children");
});

test("times show in the given zone with UTC for the tooltip", () => {
  const t = formatTime("2026-05-29T08:42:11.000Z", "Europe/Paris");
  assert.equal(t.local, "2026-05-29 10:42:11");
  assert.equal(t.utc, "2026-05-29 08:42:11Z UTC");
});

test("the truncation marker is recognised", () => {
  assert.ok(isTruncated({ _observatory_truncated: true, preview: "abc", original_bytes: 9 }));
  assert.ok(!isTruncated({ preview: "abc" }));
  assert.ok(!isTruncated("text"));
});
