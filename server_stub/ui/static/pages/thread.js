import { html } from "../html.js";

export function ThreadPage() {
  return html`<p>Coming soon.</p>`;
}
