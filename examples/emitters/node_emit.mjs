#!/usr/bin/env node
// Report agent runs to Observatory from Node.js 20+, with the built-in fetch and no npm packages.
//
// Shows a small batching emitter for the wire protocol (docs/protocol.md): events are queued and
// posted as {"events": [...]} in batches; `run()` wraps a step in `<type>_start` and
// `<type>_end` (or `<type>_error`) events sharing a run_id, nested through parent_run_id; the
// LLM call carries model and token counts (the receiver prices it); chat messages join a thread.
// Every event has an event_id, so a retried batch is stored once.
//
// Run (a receiver first: `observatory serve`):
//
//     node examples/emitters/node_emit.mjs
//
// Environment: OBSERVATORY_API_URL (default http://127.0.0.1:8787); OBSERVATORY_API_KEY, sent as
// `Authorization: Bearer <key>` when set; OBSERVATORY_APP_ID (optional).
// Exit status: 0 when every event was accepted; 1 when the receiver answered an HTTP error or
// rejected any event, or could not be reached (the reason is printed).

import { randomUUID } from "node:crypto";

const API_URL = (process.env.OBSERVATORY_API_URL || "http://127.0.0.1:8787").replace(/\/+$/, "");
const API_KEY = process.env.OBSERVATORY_API_KEY || "";
const APP_ID = process.env.OBSERVATORY_APP_ID || "";

class Emitter {
  constructor({ batchSize = 100, timeoutMs = 10_000 } = {}) {
    this.queue = [];
    this.batchSize = batchSize;
    this.timeoutMs = timeoutMs;
    this.accepted = 0;
    this.requests = 0;
  }

  // Queue one event; the common fields are filled in here.
  emit(event) {
    this.queue.push({
      event_id: randomUUID(),
      timestamp: new Date().toISOString(), // 2026-05-29T08:42:11.123Z
      ...(APP_ID ? { app_id: APP_ID } : {}),
      ...event,
    });
  }

  // Post everything queued, batchSize events per request. Throws when the receiver refuses.
  async flush() {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      const headers = { "Content-Type": "application/json" };
      if (API_KEY) headers.Authorization = `Bearer ${API_KEY}`;
      const response = await fetch(`${API_URL}/api/report`, {
        method: "POST",
        headers,
        body: JSON.stringify({ events: batch }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`the receiver answered HTTP ${response.status}: ${text}`);
      const answer = JSON.parse(text); // {"accepted": n, "duplicates": n, "rejected": [{index, error}]}
      if (answer.rejected.length > 0) {
        const why = answer.rejected.map((r) => `#${r.index} ${batch[r.index].name}: ${r.error}`);
        throw new Error(`the receiver rejected ${answer.rejected.length} events: ${why.join("; ")}`);
      }
      this.accepted += answer.accepted + answer.duplicates;
      this.requests += 1;
    }
  }

  // Run `fn(runId)` as one run: <type>_start before, <type>_end or <type>_error after.
  async run(type, name, { parent = null, input, metadata = {}, ...fields }, fn) {
    const runId = randomUUID();
    const common = { type, run_id: runId, parent_run_id: parent, metadata: { run_name: name, ...metadata } };
    this.emit({ name: `${type}_start`, ...common, input, ...fields });
    try {
      const { output, ...usage } = await fn(runId);
      this.emit({ name: `${type}_end`, ...common, status: "success", output, ...fields, ...usage });
      return output;
    } catch (error) {
      this.emit({ name: `${type}_error`, ...common, status: "error", error: { type: error.name, message: error.message }, ...fields });
      throw error;
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const obs = new Emitter({ batchSize: 5 }); // small, to show several batches
  const meta = { agent: "node-agent", user_email: "lin@example.com", tags: ["example", "node"] };
  const threadId = `node-${randomUUID().slice(0, 8)}`;
  let agentRunId;

  await obs.run("agent", "node-agent", { input: { question: "Can I return shoes?" }, metadata: meta }, async (runId) => {
    agentRunId = runId;
    obs.emit({ name: "chat", type: "chat", role: "user", content: "Can I return shoes?", thread_id: threadId, parent_run_id: runId, metadata: meta });
    const policy = await obs.run("tool", "fetch-policy", { parent: runId, input: { topic: "returns" }, metadata: meta }, async () => {
      await sleep(40);
      return { output: "30 days, unworn" };
    });
    try {
      await obs.run("tool", "check-stock", { parent: runId, input: { sku: "S-1" }, metadata: meta }, async () => {
        throw new Error("inventory service timed out");
      });
    } catch {
      // recorded as a tool_error run; the agent carries on
    }
    const reply = await obs.run("llm", "compose-reply", { parent: runId, model: "gpt-4o-mini", input: { policy }, metadata: meta }, async () => {
      await sleep(120); // the model call
      return { output: "Yes, within 30 days if unworn.", prompt_tokens: 520, completion_tokens: 38, total_tokens: 558 };
    });
    obs.emit({ name: "chat", type: "chat", role: "assistant", content: reply, thread_id: threadId, parent_run_id: runId, metadata: meta });
    return { output: reply };
  });

  await obs.flush();
  console.log(`sent ${obs.accepted} events in ${obs.requests} requests`);
  console.log(`run_id=${agentRunId}`);
  console.log(`thread_id=${threadId}`);
  const auth = API_KEY ? '-H "Authorization: Bearer $OBSERVATORY_API_KEY" ' : ""; // the variable, not the secret
  console.log(`see it: curl ${auth}${API_URL}/api/run/${agentRunId}`);
}

main().catch((error) => {
  console.error(`node_emit.mjs: ${error.cause ? `${error.message} (${error.cause.message ?? error.cause})` : error.message}`);
  process.exitCode = 1;
});
