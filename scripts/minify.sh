#!/usr/bin/env bash
# Minifies one file for landing pages with esbuild (scripts/setup.sh installs
# it). A missing esbuild stops the build: an unminified copy would ship.
#   scripts/minify.sh <src> <dst> [esbuild flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$1 dst=$2
shift 2
esbuild=node_modules/.bin/esbuild
[ -x "$esbuild" ] || { echo "minify: $esbuild is missing; run scripts/setup.sh" >&2; exit 1; }
"$esbuild" "$src" --minify --legal-comments=none --log-level=warning "$@" --outfile="$dst"
