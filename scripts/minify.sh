#!/usr/bin/env bash
# Minifies one file for landing pages with the esbuild that comes with
# wrangler (no extra install), or copies it as is when esbuild is missing.
#   scripts/minify.sh <src> <dst> [esbuild flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$1 dst=$2
shift 2
esbuild=node_modules/@esbuild/linux-x64/bin/esbuild
if [ -x "$esbuild" ]; then
  "$esbuild" "$src" --minify --legal-comments=none --log-level=warning "$@" --outfile="$dst"
else
  cp "$src" "$dst"
fi
