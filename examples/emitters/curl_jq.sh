#!/usr/bin/env bash
# Report an agent run with one LLM call to Observatory from a shell: curl, with jq building the JSON.
#
# Shows the raw wire protocol (docs/protocol.md): `agent_start` + `llm_start` in one request,
# then `llm_end` (model and token counts: the receiver prices it) + `agent_end` in a second one;
# the receiver folds each start/end pair into one run by `run_id`. Every event carries an
# `event_id`, so posting the same batch twice stores it once.
#
# Run (needs curl and jq; a receiver: `observatory serve`):
#
#     bash examples/emitters/curl_jq.sh
#
# Environment: OBSERVATORY_API_URL (default http://127.0.0.1:8787); OBSERVATORY_API_KEY, sent as
# `Authorization: Bearer <key>` when set; OBSERVATORY_APP_ID (optional: else the key's project app).
# Exit status: 0 when every event was accepted; 1 when the receiver answered an HTTP error or
# rejected any event (the reason is printed); 2 when it could not be reached.
set -euo pipefail

URL="${OBSERVATORY_API_URL:-http://127.0.0.1:8787}"
URL="${URL%/}"
APP_ID="${OBSERVATORY_APP_ID:-}"

new_id() {  # a random id: the kernel's uuid, uuidgen, or time + pid + $RANDOM
  cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen 2>/dev/null ||
    echo "$(date +%s)-$$-$RANDOM$RANDOM"
}

now() {  # ISO-8601 UTC with milliseconds and Z, e.g. 2026-05-29T08:42:11.123Z
  jq -nr 'now | (floor | strftime("%Y-%m-%dT%H:%M:%S")) + "."
          + ("00" + (. * 1000 | floor % 1000 | tostring))[-3:] + "Z"'
}

# event NAME RUN_ID PARENT_RUN_ID [EXTRA_JSON]: one event object on stdout (EXTRA_JSON is merged
# in; its "metadata" is merged into the metadata: run_name names the run).
event() {
  jq -nc --arg name "$1" --arg run "$2" --arg parent "$3" --arg ts "$(now)" \
    --arg id "$(new_id)" --arg app "$APP_ID" --argjson extra "${4:-{\}}" '
    {event_id: $id, name: $name, type: ($name | split("_")[0]), run_id: $run,
     parent_run_id: (if $parent == "" then null else $parent end), timestamp: $ts,
     metadata: ({agent: "shell-agent", user_email: "ops@example.com", tags: ["example", "curl"]}
                + ($extra.metadata // {}))}
    + (if $app == "" then {} else {app_id: $app} end) + ($extra | del(.metadata))'
}

# post EVENT...: send one batch; stop the script unless every event was accepted.
post() {
  local body answer status
  body=$(jq -sc '{events: .}' <<<"$(printf '%s\n' "$@")")
  answer=$(curl -sS -X POST "$URL/api/report" \
    -H 'Content-Type: application/json' \
    ${OBSERVATORY_API_KEY:+-H "Authorization: Bearer $OBSERVATORY_API_KEY"} \
    --data-binary @- -w '\n%{http_code}' <<<"$body") ||
    { echo "curl_jq.sh: could not reach $URL/api/report" >&2; exit 2; }
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  if [ "$status" != 200 ]; then
    echo "curl_jq.sh: the receiver answered HTTP $status: $answer" >&2
    exit 1
  fi
  if [ "$(jq '.rejected | length' <<<"$answer")" != 0 ]; then
    echo "curl_jq.sh: the receiver rejected events: $(jq -c .rejected <<<"$answer")" >&2
    exit 1
  fi
  echo "sent $# events: $answer"
}

AGENT_RUN=$(new_id)
LLM_RUN=$(new_id)

post "$(event agent_start "$AGENT_RUN" "" '{"input": {"question": "Is order A-1042 late?"}}')" \
     "$(event llm_start "$LLM_RUN" "$AGENT_RUN" '{"model": "gpt-4o-mini",
        "input": {"prompt": "Is order A-1042 late?"}, "metadata": {"run_name": "check-delivery"}}')"

sleep 0.3  # the work being measured

post "$(event llm_end "$LLM_RUN" "$AGENT_RUN" '{"status": "success", "output": "No, it arrives today.",
        "model": "gpt-4o-mini", "prompt_tokens": 320, "completion_tokens": 48}')" \
     "$(event agent_end "$AGENT_RUN" "" '{"status": "success", "output": "No, it arrives today."}')"

echo "run_id=$AGENT_RUN"
echo "see it: curl ${OBSERVATORY_API_KEY:+-H \"Authorization: Bearer \$OBSERVATORY_API_KEY\" }$URL/api/run/$AGENT_RUN"
