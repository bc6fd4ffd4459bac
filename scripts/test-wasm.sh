#!/usr/bin/env bash
# Runs the golden vectors (shared/tests/vectors/*.json) compiled to wasm inside
# headless Chromium, so the browser build of the engine must reach exactly the
# decisions the native build reaches. Needs what scripts/setup.sh installs:
# the wasm32 target, wasm-bindgen-test-runner (same version as wasm-bindgen in
# Cargo.lock), /usr/bin/chromium and /usr/bin/chromedriver.
# Also checks the widget's hand-written playbook reader against serde there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

chromium=${CHROMIUM:-/usr/bin/chromium}
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
for tool in "$chromium" "$CHROMEDRIVER"; do
  [ -x "$tool" ] || { echo "test-wasm: $tool not found; run scripts/setup.sh" >&2; exit 1; }
done
command -v wasm-bindgen-test-runner >/dev/null \
  || { echo "test-wasm: wasm-bindgen-test-runner not found; run scripts/setup.sh" >&2; exit 1; }

# The runner already passes headless, no-sandbox (needed as root) and
# disable-dev-shm-usage; these keep Chromium offline and stateless.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
cat >"$profile/webdriver.json" <<JSON
{
  "goog:chromeOptions": {
    "binary": "$chromium",
    "args": ["disable-gpu", "disable-quic", "no-first-run", "disable-background-networking",
             "disable-component-update", "disable-sync", "user-data-dir=$profile/chrome"]
  }
}
JSON
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$profile/webdriver.json"

cargo test -p baton-shared --target wasm32-unknown-unknown --test vectors
cargo test -p baton-widget --target wasm32-unknown-unknown --lib
