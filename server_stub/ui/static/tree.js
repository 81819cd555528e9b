// The waterfall's rows: a flat list of runs -> tree order with depths and bar positions.
// Pure (no DOM): unit-tested with `node --test`.

const ms = (iso) => (iso ? Date.parse(iso) : null);
const startOf = (run) => ms(run.start_time) ?? ms(run.sort_time);

/**
 * Rows in tree order (each child right under its parent, siblings by start time),
 * with `depth`, and `left`/`width` of the bar as fractions of the trace's span.
 */
export function waterfallRows(runs, rootId) {
  const byParent = new Map();
  const ids = new Set(runs.map((r) => r.run_id));
  for (const run of runs) {
    const parent = run.run_id === rootId || !ids.has(run.parent_run_id) ? null : run.parent_run_id;
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(run);
  }
  for (const siblings of byParent.values()) {
    siblings.sort((a, b) => (startOf(a) ?? 0) - (startOf(b) ?? 0) || a.run_id.localeCompare(b.run_id));
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const run of runs) {
    const s = startOf(run);
    const e = ms(run.end_time) ?? s;
    if (s !== null) t0 = Math.min(t0, s);
    if (e !== null) t1 = Math.max(t1, e);
  }
  const span = t1 > t0 ? t1 - t0 : 1;
  const rows = [];
  const visit = (run, depth) => {
    const s = startOf(run) ?? t0;
    const e = ms(run.end_time) ?? s;
    rows.push({ run, depth, left: (s - t0) / span, width: Math.max(e - s, 0) / span });
    for (const child of byParent.get(run.run_id) ?? []) visit(child, depth + 1);
  };
  for (const top of byParent.get(null) ?? []) visit(top, 0);
  return rows;
}
