import { html } from "../html.js";

export function TracePage() {
  return html`<p>Coming soon.</p>`;
}
