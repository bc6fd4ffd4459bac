#!/usr/bin/env bash
# End-to-end tests on the real pieces: builds the widget (dist/) and the
# Worker, checks the Worker still packages for deployment
# (`wrangler deploy --dry-run`), then runs `node --test tests/`: the API and
# D1 on workerd, the golden vectors through the Worker, and a visitor in
# headless Chromium. Each test file starts its own `wrangler dev` on a free
# loopback port with fresh state. Ends with node's `# pass N` / `# fail N`.
# BATON_E2E_NO_BUILD=1 skips the builds (when they just ran).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

say() { printf '\033[1me2e:\033[0m %s\n' "$*"; }
status=0

if [ "${BATON_E2E_NO_BUILD:-0}" != 1 ]; then
  say "building the widget (scripts/build-widget.sh)"
  bash scripts/build-widget.sh >/dev/null || { echo "e2e: the widget build failed" >&2; exit 1; }
  say "building the Worker (scripts/build-edge.sh)"
  bash scripts/build-edge.sh || { echo "e2e: the Worker build failed" >&2; exit 1; }
fi

say "checking the deploy configuration (wrangler deploy --dry-run)"
dry=$(mktemp -d)
if ! node node_modules/wrangler/bin/wrangler.js deploy --dry-run --outdir "$dry" >"$dry.log" 2>&1; then
  cat "$dry.log" >&2
  echo "e2e: wrangler deploy --dry-run failed: the Worker would not deploy" >&2
  status=1
fi
rm -rf "$dry" "$dry.log"

say "running node --test tests/"
# Every Worker's output lands here; tests/zz-logs.test.mjs, last, reads it all.
rm -rf target/e2e-logs
# One file at a time: each starts workerd, and the browser file Chromium too;
# on two cores, running them together only makes timings noisy.
node --test --test-concurrency=1 tests/ || status=1
exit $status
