#!/usr/bin/env bash
# Every test Baton has, in the order a failure is cheapest to find:
# lint, native unit/property/vector tests, the same vectors in wasm in headless
# Chromium, end-to-end against real workerd and real Chromium (which also
# posts the vectors through the Worker), the widget's size budgets, and the
# form's load timing beside a plain HTML form.
# Installs what it needs first (idempotent). Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed_steps=()
step() {
  local name=$1; shift
  printf '\n\033[1m== %s\033[0m\n' "$name"
  if ! "$@" 2>&1 | tee -a "$log"; then
    failed_steps+=("$name")
  fi
}

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

step "format"            cargo fmt --all --check
step "clippy (host)"     cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32)"   cargo clippy -p baton-shared -p baton-widget -p baton-edge --target wasm32-unknown-unknown -- -D warnings
step "native tests"      cargo test --workspace
# The engine without `diagnostics`, as the widget links it: the same vectors must pass.
step "native tests (no diagnostics)" cargo test -p baton-shared --no-default-features --features toml,email-lists --tests
step "vectors in wasm (Chromium)"      bash scripts/test-wasm.sh
step "widget build"                    bash scripts/build-widget.sh
step "end to end (workerd + Chromium)" bash scripts/e2e.sh
step "widget size budgets"             bash scripts/size-budget.sh
# First keystroke, load event and layout shift beside a plain HTML form (prints figures).
step "load timing (Chromium)" node scripts/timing.mjs

# One closing line over every runner: cargo's "test result" lines and node's "# pass/# fail".
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
passed=$((passed + $(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
failed=$((failed + $(grep -E '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
echo
if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "failed steps: ${failed_steps[*]}"
  [ "$failed" -eq 0 ] && failed=${#failed_steps[@]}
  echo "total: $passed passed, $failed failed"
  exit 1
fi
echo "total: $passed passed, $failed failed"
