#!/usr/bin/env bash
# CI gate: did this release make the agent worse? Compare the candidate release's runs with
# the baseline's and fail the job when the policy fails; the markdown report is written for a
# pull-request comment (and the GitHub job summary when there is one).
#
# Run (needs `pip install 'observatory-sdk[server]'` for the `observatory` command, and a
# receiver holding runs of both releases: set OBSERVATORY_RELEASE when the agent runs):
#
#     BASELINE=v1.4.0 CANDIDATE="$(git rev-parse --short HEAD)" bash examples/ci/compare_gate.sh
#
# Environment: OBSERVATORY_API_URL (default http://127.0.0.1:8787) and OBSERVATORY_API_KEY name
# the receiver; BASELINE and CANDIDATE are the releases; AGENT and WINDOW (e.g. 7d) narrow the
# runs; REPORT is the markdown file (default compare.md). Thresholds come from
# [tool.observatory.policy] in the project's pyproject.toml; without any, a metric whose change
# is statistically significant and worse fails the gate.
# Exit status: 0 the policy passed; 1 it failed; 2 a bad setting or an unreachable receiver.
set -uo pipefail

: "${BASELINE:?set BASELINE to the release to compare against}"
: "${CANDIDATE:?set CANDIDATE to the release under test}"
REPORT="${REPORT:-compare.md}"

args=("$BASELINE" "$CANDIDATE" --fail-on-regression --format markdown)
[ -n "${AGENT:-}" ] && args+=(--agent "$AGENT")
[ -n "${WINDOW:-}" ] && args+=(--window "$WINDOW")

observatory compare "${args[@]}" >"$REPORT"
status=$?
cat "$REPORT"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$REPORT" ]; then
  cat "$REPORT" >>"$GITHUB_STEP_SUMMARY"
fi
exit "$status"
