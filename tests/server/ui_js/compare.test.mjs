import { test } from "node:test";
import assert from "node:assert/strict";
import {
  compareQueryString,
  isComparable,
  parseCompareQuery,
} from "../../../server_stub/ui/static/compare-query.js";
import { METRICS, formatCi, formatDiff, formatP, formatRel } from "../../../server_stub/ui/static/compare-format.js";
import { markerTitle } from "../../../server_stub/ui/static/markers.js";

const metric = (name) => METRICS.find((m) => m.name === name);

test("the compare query round-trips in the API's names", () => {
  const search = "?baseline=v1&candidate=v2&window=7d&agent=bot&max_cost_increase_pct=10";
  const values = parseCompareQuery(search);
  assert.deepEqual(values, { baseline: "v1", candidate: "v2", window: "7d", agent: "bot", max_cost_increase_pct: "10" });
  assert.equal(compareQueryString(values), search);
});

test("empties and unknown names drop; a compare needs two releases or around", () => {
  assert.deepEqual(parseCompareQuery("?baseline=+&bogus=1&around=git:1"), { around: "git:1" });
  assert.equal(compareQueryString({ baseline: " ", type: "" }), "");
  assert.ok(isComparable({ around: "git:1" }));
  assert.ok(isComparable({ baseline: "a", candidate: "b" }));
  assert.ok(!isComparable({ baseline: "a" }));
});

test("differences carry their sign and unit", () => {
  assert.equal(formatDiff(metric("latency_p50"), 0.25), "+250 ms");
  assert.equal(formatDiff(metric("cost"), -0.002), "−$0.0020");
  assert.equal(formatDiff(metric("error_rate"), 0.02), "+2.0 pp");
  assert.equal(formatDiff(metric("tokens"), 0), "±0");
  assert.equal(formatDiff(metric("cost"), null), "–");
  assert.equal(formatRel(0.137), "+13.7%");
  assert.equal(formatRel(null), "–");
  assert.equal(formatCi(metric("latency_p50"), [0.11, 0.38]), "[+110 ms, +380 ms]");
  assert.equal(formatCi(metric("latency_p50"), null), "–");
});

test("p-values read as people write them", () => {
  assert.equal(formatP(0.0016), "0.0016");
  assert.equal(formatP(0.5), "0.5");
  assert.equal(formatP(6.16e-14), "6.2e-14");
  assert.equal(formatP(null), "–");
});

test("a marker names the change's kind, ref and summary", () => {
  const change = { kind: "code", ref: "git:9f2c1a", summary: "Refund tool v3", at: "2026-07-01T14:02:00.000Z" };
  assert.equal(markerTitle(change), "code git:9f2c1a — Refund tool v3 (2026-07-01T14:02:00.000Z)");
});
