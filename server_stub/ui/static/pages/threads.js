import { html } from "../html.js";

export function ThreadsPage() {
  return html`<p>Coming soon.</p>`;
}
