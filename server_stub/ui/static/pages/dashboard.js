import { html } from "../html.js";

export function DashboardPage() {
  return html`<p>Coming soon.</p>`;
}
