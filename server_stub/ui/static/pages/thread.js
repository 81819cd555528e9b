// /threads/{thread_id}: the conversation in order, each message with its feedback and run.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { enc, get } from "../api.js";
import { ErrorNote, Payload, Time } from "../widgets.js";

function Message({ msg }) {
  return html`<li class=${`message role-${msg.role}`} data-message-id=${msg.message_id}>
    <header>
      <span class="role">${msg.role}</span>
      <${Time} iso=${msg.timestamp} />
      ${msg.agent && html`<span>${msg.agent}</span>`}
      ${msg.user_email && html`<span>${msg.user_email}</span>`}
      ${msg.run_id && html`<a href=${`/runs/${enc(msg.run_id)}`}>run</a>`}
    </header>
    <div class="content">${typeof msg.content === "string" ? msg.content : html`<${Payload} value=${msg.content} />`}</div>
    ${msg.feedback.length > 0 && html`<ul class="feedback-list">
      ${msg.feedback.map((f) => html`<li class=${`feedback rating-${f.rating}`}>
        ${f.rating === "positive" ? "▲" : "▼"} <span class="rating">${f.rating}</span>
        ${f.comment && html` — <span class="comment">${f.comment}</span>`}
      </li>`)}
    </ul>`}
  </li>`;
}

export function ThreadPage({ params }) {
  const [thread, setThread] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get(`/api/threads/${enc(params.threadId)}`).then(setThread, (err) => setError(err.message));
  }, [params.threadId]);
  if (error) return html`<${ErrorNote} message=${error} />`;
  if (!thread) return html`<p class="muted">Loading thread…</p>`;
  return html`<section>
    <div class="page-head">
      <h1>Thread ${thread.thread_id}</h1>
      <span class="muted">${thread.messages.length} messages</span>
      <a href="/threads">all threads</a>
    </div>
    <ol class="messages">${thread.messages.map((m) => html`<${Message} key=${m.message_id} msg=${m} />`)}</ol>
  </section>`;
}
