// Small display pieces shared by the pages.
import { html } from "./html.js";
import { formatTime, isTruncated, prettyJson } from "./format.js";

/** A time in the browser's zone; UTC on hover. */
export function Time({ iso }) {
  const t = formatTime(iso);
  return html`<time datetime=${iso ?? ""} title=${t.utc}>${t.local}</time>`;
}

export function Status({ status }) {
  return html`<span class=${`badge status-${status}`}>${status}</span>`;
}

export function Tags({ tags }) {
  return html`${(tags ?? []).map((t) => html`<span class="tag">${t}</span>`)}`;
}

export function ErrorNote({ message }) {
  return message ? html`<p class="error" role="alert">${message}</p>` : null;
}

/** A payload as pretty JSON; a field the SDK truncated says so and shows its preview. */
export function Payload({ value }) {
  if (isTruncated(value)) {
    return html`<div class="payload truncated">
      <p class="note">truncated (${value.original_bytes?.toLocaleString("en-US")} bytes); preview:</p>
      <pre>${value.preview}</pre>
    </div>`;
  }
  return html`<pre class="payload">${prettyJson(value)}</pre>`;
}
