// A uPlot time-series chart as a Preact component (uPlot draws; we only feed it data).
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { html } from "./html.js";

export const PALETTE = ["#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2", "#ca8a04", "#dc2626", "#64748b"];

/** Cumulative sums, so series drawn largest-first with fills read as a stack. */
export function stack(seriesValues) {
  const out = [];
  let running = null;
  for (const values of seriesValues) {
    running = values.map((v, i) => (running ? running[i] : 0) + (v ?? 0));
    out.push(running);
  }
  return out;
}

const NO_PLUGINS = []; // one array, so a chart without plugins is not redrawn on every render

/**
 * times: Unix seconds (or, with xTime=false, any ascending numbers labelled xLabel);
 * series: [{label, values, color, fill, scale}]; plugins: uPlot plugins (e.g. markers.js).
 */
export function Chart({ title, times, series, yLabel, format, height = 220, plugins = NO_PLUGINS, xTime = true, xLabel }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const opts = {
      width: Math.max(el.clientWidth, 280),
      height,
      series: [
        xTime ? {} : { label: xLabel },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.fill,
          width: 1.5,
          spanGaps: false,
          points: s.points ? { show: true, size: 5 } : {},
          value: (u, v) => (v === null || v === undefined ? "–" : format ? format(v) : v),
        })),
      ],
      scales: { x: { time: xTime } },
      plugins,
      axes: [xTime ? {} : { label: xLabel }, { label: yLabel, size: 70, values: (u, vals) => vals.map((v) => (format ? format(v) : v)) }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const plot = new uPlot(opts, [times, ...series.map((s) => s.values)], el);
    const resize = () => plot.setSize({ width: Math.max(el.clientWidth, 280), height });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [times, series, plugins]);
  return html`<figure class="chart" aria-label=${title}><h2>${title}</h2><div ref=${box}></div></figure>`;
}
