#!/usr/bin/env bash
# Builds one Yew cdylib the way the widget ships to landing pages, so the
# widget (scripts/build-widget.sh) and the floor it is measured against
# (bench/yew-floor, scripts/size-budget.sh) cannot be built two ways.
#
#   scripts/ship-wasm.sh <Cargo.toml> <package> <out dir> <name>
#
# writes <out dir>/<name>.js (the wasm-bindgen glue, minified) and
# <out dir>/<name>_bg.wasm. Idempotent: wasm-bindgen and wasm-opt run only
# when cargo's output changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
manifest=$1 package=$2 out=$3 name=$4

# One target dir for every shipping build: they share std built from source
# with these flags, which would otherwise rebuild everything clippy and the
# tests share.
target_dir=target/widget
wasm_in=$target_dir/wasm32-unknown-unknown/release/${package//-/_}.wasm
stage=target/widget-bindgen/$package

# std is rebuilt from source (rustup's rust-src, same version as rustc) with
# panic=immediate-abort: a panic is a trap, so no panic messages, locations or
# the formatting machinery behind them ship (~9 KB brotli). The engine denies
# panics anyway. These flags are unstable, hence RUSTC_BOOTSTRAP for this one
# build: the same stable compiler as everything else, no second toolchain.
RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
  cargo build --manifest-path "$manifest" -p "$package" --target wasm32-unknown-unknown --release \
  -Zbuild-std=std,panic_abort --target-dir "$target_dir"

mkdir -p "$out" "$stage"
if [ -f "$out/${name}_bg.wasm" ] && [ -f "$out/$name.js" ] && [ ! "$wasm_in" -nt "$out/${name}_bg.wasm" ]; then
  exit 0
fi
# Same version as the wasm-bindgen crate in Cargo.lock, or the glue does not match.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version | awk '{ print $2 }')
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen CLI is $have but Cargo.lock pins $want: cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$stage" --out-name "$name" "$wasm_in"
# What ships is brotli'd: binaryen's inlining makes the wasm smaller raw but
# ~4 KB larger after brotli (copies of a body compress worse than calls to
# it), so it is skipped; --converge repeats the passes while they still pay.
node_modules/.bin/wasm-opt -Oz --converge --skip-pass=inlining-optimizing \
  --strip-debug --strip-producers \
  "$stage/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
bash scripts/minify.sh "$stage/$name.js" "$out/$name.js" --format=esm
