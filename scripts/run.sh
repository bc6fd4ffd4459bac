#!/usr/bin/env bash
# Builds everything and serves the demo on http://localhost:${PORT:-8787}/:
# the landing page with the embedded form, the widget, and the edge API, on
# workerd via `wrangler dev`. A submitted lead lands in the local D1
# (.wrangler/state) and is delivered, through the local Queue, to the demo
# receiver on http://127.0.0.1:${RECEIVER_PORT:-8788}/ (the sales side: each
# rep's signed webhook, verified, and each team's Slack message, rendered).
# Installs what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
port=${PORT:-8787}
receiver_port=${RECEIVER_PORT:-8788}

say() { printf '\033[1mrun:\033[0m %s\n' "$*"; }

bash scripts/setup.sh

if [ -f scripts/build-widget.sh ]; then
  say "building the widget and pages into dist/"
  bash scripts/build-widget.sh
else
  say "warning: scripts/build-widget.sh is missing: only the API will be served"
fi

say "checking the playbook (icp.toml)"
cargo run -q -p baton-cli -- check icp.toml

say "building the Worker"
bash scripts/build-edge.sh

say "writing local secrets (.dev.vars): channel URLs to the demo receiver, signing secrets, ADMIN_TOKEN"
node scripts/dev-vars.mjs --port "$receiver_port"

say "applying D1 migrations to the local database"
# CI=true: apply without asking for confirmation.
CI=true npx wrangler d1 migrations apply DB --local

# The sales side, and the cron trigger `wrangler dev` does not fire by itself
# (the outbox's sweeper and the SLA watchdog, once a minute); both end with
# this script.
node scripts/demo-receiver.mjs --port "$receiver_port" --dev-vars .dev.vars &
receiver=$!
( while sleep 60; do curl -fsS "http://127.0.0.1:$port/__scheduled?cron=*+*+*+*+*" >/dev/null 2>&1 || true; done ) &
sweeper=$!
trap 'kill $receiver $sweeper 2>/dev/null' EXIT

token=$(sed -n 's/^ADMIN_TOKEN="\(.*\)"$/\1/p' .dev.vars)
query='select id, created_at, status, grade, score, assigned_rep, agreement from leads order by id desc limit 10'
cat <<INFO

  Demo page:     http://localhost:$port/
  What reps get: http://127.0.0.1:$receiver_port/   (signed webhooks, verified; Slack messages)
  Public form:   http://localhost:$port/v1/forms/demo
  API (OpenAPI): http://localhost:$port/openapi.json
  A lead:        curl -H "Authorization: Bearer $token" http://localhost:$port/v1/leads
  Stored leads:  npx wrangler d1 execute DB --local --command "$query"
  Report page:   http://localhost:$port/report.html#token=$token

  The loop: submit on the demo page, open the lead at the receiver and click
  Accept. To see a missed deadline without waiting its 15 minutes, move one:
    npx wrangler d1 execute DB --local --command "update leads set sla_due_at = 0 where first_touch_at is null"
  and within a minute the escalation reaches Rita at the receiver.

  The demo runs a playbook experiment (icp.toml [experiment] "mql-bar"): half
  of the visitors get experiments/demo-b.toml (B from 35 points, not 45).
  Your browser's arm follows its localStorage id "baton:vid"; clear it, or
  open a private window, to land in the other half. The report page puts
  the two arms side by side.

  The playbook allows pages on http://localhost:8787 and http://127.0.0.1:8787
  (allowed_origins in icp.toml); on another PORT the demo page still works
  (same origin), embeds elsewhere are refused until listed.

INFO
npx wrangler dev --port "$port" --test-scheduled
