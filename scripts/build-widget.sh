#!/usr/bin/env bash
# Builds the embeddable widget and the static site into ONE directory, dist/,
# which the Worker serves as static assets (wrangler `[assets] directory = "dist"`).
#
# dist/ layout (stable; the edge and the e2e tests rely on it):
#   dist/index.html              demo landing page (Northwind Analytics)
#   dist/embed-test.html         hostile page that embeds the form twice (tests)
#   dist/embed.js                the loader marketers paste: <script src="…/embed.js" data-form="demo" async>
#   dist/_headers                CORS + cache headers for the assets (Workers assets format)
#   dist/widget/widget.js        wasm-bindgen glue (--target web), imported by embed.js
#   dist/widget/widget_bg.wasm   the Yew form + rules engine, wasm-opt -Oz
#   dist/widget/widget.css       styles, loaded into the form's shadow root
#
# The loader fetches everything from the origin it was loaded from, not the
# page's, so every file under dist/widget/ and embed.js must be served with
# `Access-Control-Allow-Origin: *` (dist/_headers says so) and the .wasm as
# `application/wasm`. The loader itself calls GET /v1/forms/{id}; the widget
# POSTs /v1/leads with `content-type: application/json` (a CORS preflight).
#
# Sources: www/ (pages, loader, _headers, widget.css) and widget/ (the crate).
# Idempotent: cargo and wasm-opt work only when the wasm changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

out=dist
# Its own target dir: the shipping build compiles std itself with other flags,
# which would otherwise rebuild everything clippy and the tests share.
target_dir=target/widget
wasm_in=$target_dir/wasm32-unknown-unknown/release/baton_widget.wasm
stage=target/widget-bindgen

# Everything here ships to landing pages: minify with the esbuild that comes
# with wrangler (no extra install), or copy as is when it is missing.
esbuild=node_modules/@esbuild/linux-x64/bin/esbuild
minify() {
  local src=$1 dst=$2
  shift 2
  if [ -x "$esbuild" ]; then
    "$esbuild" "$src" --minify --legal-comments=none --log-level=warning "$@" --outfile="$dst"
  else
    cp "$src" "$dst"
  fi
}

# std is rebuilt from source (rustup's rust-src, same version as rustc) with
# panic=immediate-abort: a panic is a trap, so no panic messages, locations or
# the formatting machinery behind them ship (~9 KB brotli). The engine denies
# panics anyway. These flags are unstable, hence RUSTC_BOOTSTRAP for this one
# build: the same stable compiler as everything else, no second toolchain.
RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
  cargo build -p baton-widget --target wasm32-unknown-unknown --release \
  -Zbuild-std=std,panic_abort --target-dir "$target_dir"

mkdir -p "$out/widget" "$stage"
# wasm-bindgen and wasm-opt take seconds: skip them when the cargo output is unchanged.
if [ ! -f "$out/widget/widget_bg.wasm" ] || [ ! -f "$out/widget/widget.js" ] \
  || [ "$wasm_in" -nt "$out/widget/widget_bg.wasm" ]; then
  # Same version as the wasm-bindgen crate in Cargo.lock, or the glue does not match.
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  have=$(wasm-bindgen --version | awk '{ print $2 }')
  if [ "$want" != "$have" ]; then
    echo "wasm-bindgen CLI is $have but Cargo.lock pins $want: cargo install wasm-bindgen-cli --version $want" >&2
    exit 1
  fi
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$stage" --out-name widget "$wasm_in"
  # What ships is brotli'd: binaryen's inlining makes the wasm smaller raw but
  # ~4 KB larger after brotli (copies of a body compress worse than calls to
  # it), so it is skipped; --converge repeats the passes while they still pay.
  node_modules/.bin/wasm-opt -Oz --converge --skip-pass=inlining-optimizing \
    --strip-debug --strip-producers \
    "$stage/widget_bg.wasm" -o "$out/widget/widget_bg.wasm"
  minify "$stage/widget.js" "$out/widget/widget.js" --format=esm
fi

cp www/index.html www/embed-test.html www/_headers "$out/"
minify www/embed.js "$out/embed.js"
minify www/widget.css "$out/widget/widget.css"

echo "wrote $out/:"
(cd "$out" && find . -type f | sort | while read -r f; do
  printf '  %-26s %8d bytes\n' "${f#./}" "$(stat -c %s "$f")"
done)
