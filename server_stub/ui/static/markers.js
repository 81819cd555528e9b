// A uPlot plugin that marks moments on a time series: one vertical line per change
// (deploy, model bump, prompt edit...), an element in the plot's overlay whose title
// says what changed, so it shows on hover and a page (or a test) can find it.

export const KIND_COLORS = {
  code: "#7c3aed",
  runtime: "#0891b2",
  prompt: "#db2777",
  policy: "#ca8a04",
  config: "#64748b",
};

/** What a marker says on hover: "code git:9f2c1a — Refund tool v3 schema (2026-07-01T14:02:00Z)". */
export function markerTitle(change) {
  const summary = change.summary ? ` — ${change.summary}` : "";
  return `${change.kind} ${change.ref}${summary} (${change.at})`;
}

/** The plugin: changes are GET /api/changes items ({kind, ref, summary, at}). */
export function changeMarkers(changes) {
  let layer = null;
  const place = (u) => {
    layer.replaceChildren();
    const { min, max } = u.scales.x;
    for (const change of changes) {
      const t = Date.parse(change.at) / 1000;
      if (!(t >= min && t <= max)) continue;
      const mark = document.createElement("div");
      mark.className = `change-marker kind-${change.kind}`;
      mark.dataset.ref = change.ref;
      mark.dataset.kind = change.kind;
      mark.title = markerTitle(change);
      mark.style.left = `${u.valToPos(t, "x")}px`;
      mark.style.borderColor = KIND_COLORS[change.kind] ?? "#64748b";
      layer.appendChild(mark);
    }
  };
  return {
    hooks: {
      init: (u) => {
        layer = document.createElement("div");
        layer.className = "change-markers";
        u.over.appendChild(layer);
      },
      ready: place,
      setScale: (u, key) => key === "x" && layer && place(u),
      setSize: (u) => layer && place(u),
    },
  };
}
