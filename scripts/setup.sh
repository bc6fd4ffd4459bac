#!/usr/bin/env bash
# Installs what building and testing Baton needs, skipping whatever is already
# present at the right version. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
WORKER_BUILD_VERSION=0.8.7
SCHEMATHESIS_VERSION=4.32.5
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The widget's build compiles std from source (scripts/build-widget.sh).
if ! rustup component list --installed | grep -qx rust-src; then
  step "adding the rust-src component"
  rustup component add rust-src
fi

if [ "${BATON_SKIP_BROWSER:-0}" != 1 ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  step "installing chromium and chromedriver (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! wasm-bindgen --version 2>/dev/null | grep -qw "$WASM_BINDGEN_VERSION"; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails here: one pinned dependency is missing from the registry.
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if ! worker-build --version 2>/dev/null | grep -qw "$WORKER_BUILD_VERSION"; then
  step "installing worker-build $WORKER_BUILD_VERSION"
  cargo install -q worker-build --version "$WORKER_BUILD_VERSION" --locked
fi

# Schemathesis, the OpenAPI fuzzer tests/openapi.test.mjs runs against the Worker.
if ! target/py/bin/st --version 2>/dev/null | grep -qw "$SCHEMATHESIS_VERSION"; then
  step "installing schemathesis $SCHEMATHESIS_VERSION (target/py)"
  python3 -m venv target/py
  target/py/bin/pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing node tools (wrangler, binaryen, esbuild, playwright-core)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
fi
step "tools ready"
