import { test } from "node:test";
import assert from "node:assert/strict";
import { waterfallRows } from "../../../server_stub/ui/static/tree.js";

const run = (run_id, parent_run_id, start, end) => ({
  run_id, parent_run_id,
  start_time: `2026-05-29T08:00:${String(start).padStart(2, "0")}.000Z`,
  end_time: `2026-05-29T08:00:${String(end).padStart(2, "0")}.000Z`,
});

test("rows are in tree order, siblings by start time, children indented", () => {
  const runs = [
    run("root", null, 0, 10), run("b", "root", 5, 9), run("a", "root", 1, 4),
    run("a1", "a", 2, 3), run("b1", "b", 6, 7),
  ];
  const rows = waterfallRows(runs, "root");
  assert.deepEqual(rows.map((r) => [r.run.run_id, r.depth]),
    [["root", 0], ["a", 1], ["a1", 2], ["b", 1], ["b1", 2]]);
  const a = rows[1];
  assert.equal(a.left, 0.1);
  assert.equal(a.width, 0.3);
});

test("the root's own parent (not in the trace) does not hide it", () => {
  const rows = waterfallRows([run("root", "gone", 0, 1)], "root");
  assert.equal(rows.length, 1);
});
