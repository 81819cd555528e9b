#!/usr/bin/env bash
# Report a complete agent run with one LLM call to Observatory with nothing but curl (no jq).
#
# Shows the smallest possible emitter: one static JSON batch (docs/protocol.md) with a generated
# run id and this second's timestamps — `agent_start`, `llm_start`, `llm_end` (model and token
# counts: the receiver prices it), `agent_end` — and a check of the receiver's answer
# {"accepted": n, "duplicates": n, "rejected": [...]} by plain string matching.
#
# Run (a receiver first: `observatory serve`):
#
#     bash examples/emitters/curl_only.sh
#
# Environment: OBSERVATORY_API_URL (default http://127.0.0.1:8787); OBSERVATORY_API_KEY, sent as
# `Authorization: Bearer <key>` when set.
# Exit status: 0 when every event was accepted; 1 when the receiver answered an HTTP error or
# rejected any event; 2 when it could not be reached.
set -eu

URL="${OBSERVATORY_API_URL:-http://127.0.0.1:8787}"
URL="${URL%/}"
RUN="curl-$(date +%s)-$$-$RANDOM"     # any unique string up to 200 characters
NOW=$(date -u +%Y-%m-%dT%H:%M:%S)      # the milliseconds below are static: latencies 0.85 s / 0.6 s

answer=$(curl -sS -X POST "$URL/api/report" \
  -H 'Content-Type: application/json' \
  ${OBSERVATORY_API_KEY:+-H "Authorization: Bearer $OBSERVATORY_API_KEY"} \
  -w '\n%{http_code}' \
  --data-binary @- <<EOF
{"events": [
  {"event_id": "$RUN-1", "name": "agent_start", "type": "agent", "run_id": "$RUN",
   "timestamp": "$NOW.100Z", "input": {"prompt": "Summarise ticket 7"},
   "metadata": {"agent": "curl-agent", "tags": ["example", "curl"]}},
  {"event_id": "$RUN-2", "name": "llm_start", "type": "llm", "run_id": "$RUN-llm",
   "parent_run_id": "$RUN", "timestamp": "$NOW.200Z", "model": "gpt-4o-mini",
   "input": {"prompt": "Summarise ticket 7"}, "metadata": {"agent": "curl-agent"}},
  {"event_id": "$RUN-3", "name": "llm_end", "type": "llm", "run_id": "$RUN-llm",
   "parent_run_id": "$RUN", "timestamp": "$NOW.800Z", "status": "success",
   "output": "Customer asks for a refund.", "model": "gpt-4o-mini",
   "prompt_tokens": 410, "completion_tokens": 25, "metadata": {"agent": "curl-agent"}},
  {"event_id": "$RUN-4", "name": "agent_end", "type": "agent", "run_id": "$RUN",
   "timestamp": "$NOW.950Z", "status": "success", "output": "Customer asks for a refund.",
   "metadata": {"agent": "curl-agent"}}
]}
EOF
) || { echo "curl_only.sh: could not reach $URL/api/report" >&2; exit 2; }

status=${answer##*
}
answer=${answer%
*}
case "$status" in
  200) ;;
  *) echo "curl_only.sh: the receiver answered HTTP $status: $answer" >&2; exit 1 ;;
esac
case "$answer" in
  *'"rejected":[]'*) ;;
  *) echo "curl_only.sh: the receiver rejected events: $answer" >&2; exit 1 ;;
esac
echo "sent: $answer"
echo "run_id=$RUN"
echo "see it: curl ${OBSERVATORY_API_KEY:+-H \"Authorization: Bearer \$OBSERVATORY_API_KEY\" }$URL/api/run/$RUN"
