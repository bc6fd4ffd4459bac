#!/usr/bin/env bash
# Builds the Worker (edge/build/index.js + wasm) with worker-build, using the
# tools installed by setup.sh instead of the ones worker-build would download
# (it cannot here), and writes dist/_headers so the asset layer serves the
# embed script and widget files with CORS (pages on other origins import them).
# The wasm embeds icp.toml and experiments/*.toml: rebuild after changing them.
# Usage: scripts/build-edge.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

# A playbook with problems must never ship: the Worker embeds them
# (edge/src/playbooks.rs: icp.toml and its experiment's variant).
for playbook in icp.toml experiments/*.toml; do
  cargo run -q -p baton-cli -- check "$playbook" >/dev/null
done

export WASM_BINDGEN_BIN=wasm-bindgen
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
# esbuild installs its own platform binary here, whatever the machine.
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
for tool in "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  [ -x "$tool" ] || { echo "build-edge: $tool is missing; run scripts/setup.sh" >&2; exit 1; }
done

# worker-build always reruns wasm-bindgen, wasm-opt and esbuild (~25 s). Let
# cargo decide whether anything changed (same command and environment as
# worker-build uses), and skip the rest when the Worker is already newer.
compiled=target/wasm32-unknown-unknown/release/baton_edge.wasm
(cd edge && WASM_BINDGEN_USE_JS_SYS=1 cargo build -q --lib --release --target wasm32-unknown-unknown)
if [ -f edge/build/index.js ] && [ edge/build/index_bg.wasm -nt "$compiled" ]; then
  echo "build-edge: the Worker is up to date"
else
  (cd edge && worker-build --release)
fi

# Pages on other origins import embed.js and the widget's files (module
# scripts and wasm are CORS requests), so the asset layer must answer them
# with `Access-Control-Allow-Origin: *`. The widget build ships dist/_headers
# with that rule; when it is missing (no widget build yet, or an older one),
# add it here. Never twice: a header set by two matching rules is merged into
# `*, *`, which browsers reject.
mkdir -p dist
for path in /embed.js '/widget/*'; do
  if ! awk -v p="$path" '
      /^[^ \t#]/ { inside = ($0 == p) }
      inside && tolower($0) ~ /^[ \t]+access-control-allow-origin:[ \t]*\*/ { found = 1 }
      END { exit !found }' dist/_headers 2>/dev/null; then
    printf '%s\n  Access-Control-Allow-Origin: *\n' "$path" >> dist/_headers
  fi
done

wasm=edge/build/index_bg.wasm
printf 'build-edge: %s is %s bytes (%s gzip)\n' "$wasm" "$(wc -c <"$wasm")" "$(gzip -9c "$wasm" | wc -c)"
