// Sign-in: asks for an API key once keys exist; the key stays in sessionStorage.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { setKey } from "../auth.js";

export function SignIn({ message, onSignedIn }) {
  const [key, setValue] = useState("");
  const submit = (event) => {
    event.preventDefault();
    if (!key.trim()) return;
    setKey(key.trim());
    onSignedIn();
  };
  return html`
    <section class="signin">
      <h1>Sign in</h1>
      <p>This receiver has API keys: enter one to see its project. It is kept for this browser tab only.</p>
      ${message && html`<p class="error" role="alert">${message}</p>`}
      <form onSubmit=${submit}>
        <label>API key <input type="password" name="api_key" aria-label="API key" autocomplete="off"
          value=${key} onInput=${(e) => setValue(e.target.value)} /></label>
        <button type="submit">Sign in</button>
      </form>
    </section>
  `;
}
