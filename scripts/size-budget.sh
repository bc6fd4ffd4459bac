#!/usr/bin/env bash
# What a landing page downloads for the form — loader, glue, wasm, CSS (not the
# demo page) — raw, gzip -9 and brotli (quality 11) bytes, with a total.
# Run scripts/build-widget.sh first (and scripts/build-edge.sh for the
# pre-rendered HTML's row).
#
# Budgets (issue #12). The form takes input before any wasm arrives, so what
# the first keystroke waits for is the first-input path: the loader, the
# CSS and the form's HTML pre-rendered by the edge. Limits, each a failure:
#   LOADER       embed.js ≤ 1.5 KB brotli;
#   FIRST_INPUT  loader + CSS + the largest locale's HTML ≤ 8 KB brotli
#                (the HTML is measured from the Worker in edge/build,
#                scripts/first-input.mjs; "not measured" without one);
#   CEILING      everything the widget downloads: a ratchet just above the
#                size reached, lowered whenever the widget shrinks. TARGET
#                (80 KB) is where the issue wants the ratchet; the script says
#                how far off it is.
#
# Two peers, measured in the same run: React + react-dom (what a React form
# ships at the least), and the floor under the widget, bench/yew-floor: the
# least a Yew form ships (one field, one reducer), built by the widget's own
# pipeline (scripts/ship-wasm.sh). What the widget weighs above that floor is
# Baton's: its form, the rules engine, the messages, the CSS and the loader.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=81920
# 1.5 KB until issue #13's playbook experiments: the visitor id the loader
# keeps and sends with the form's HTML request (+61 B), so the first HTML is
# already the visitor's arm. 1,600 B since.
LOADER=1600
FIRST_INPUT=8192
# Raised from 105,250 to 108,100 with issue #12: the loader grew 400 B
# (it shows the edge's pre-rendered form, guards submits until the widget is
# live, loads the wasm when the form is near the viewport or the browser is
# idle), and the widget about 2.5 KB for taking over that form (reading what
# was typed, ticked and where the caret is, the swap). Raised again to
# 109,700 for issue #12's item 5: live.js (515 B, the wasm's start, moved out
# of the loader so popups, prefill and dataLayer fit its 1.5 KB), and 1 KB of
# wasm for the Hebrew UI words, right-to-left layout, the step and error
# events and the preview switch. The shrinking the issue asks for (a
# pre-compiled playbook, fewer generic instantiations, the UI words from the
# playbook instead of tables in the wasm) is where the bytes come back.
# Raised to 114,300 for issue #12's item 6, which the ratchet had not seen:
# asking only what matters (+2.6 KB: the engine's open_questions and the
# step plan) and remembering a returning visitor who consented (+2 KB:
# storage read in place, "Not you?").
# Raised to 114,450 (+140 B) for issue #13: the playbook's new `[outcomes]`
# section and `sla.reassign` are fields of the RawPlaybook the widget holds
# (their clone and drop code; the widget reads neither, public copies carry
# none, and no string of theirs is in the wasm).
# Raised to 115,340 (+882 B) for issue #13's playbook experiments: the
# loader's visitor id (+61 B), live.js asking for the visitor's arm, and in
# the wasm the arm computed as the edge does (the bucket hash, reading
# `published.experiment`, the lead's `visitor_id` and `arm`).
# Raised to 115,440 (+93 B) for issue #14's `[privacy]` section: a field of
# the RawPlaybook the widget holds (its clone and drop code; public copies
# carry none).
# Raised to 115,810 (+365 B) for issue #14's bot trap: its markup and CSS
# in the form, and reading what was typed into it at submit.
CEILING=115810
# live.js loads the wasm on every page; fallback.js (no wasm) and popup.js
# (popups) come only where they are used.
files=(dist/embed.js dist/widget/live.js dist/widget/widget.js dist/widget/widget_bg.wasm dist/widget/widget.css)

for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "missing $f: run scripts/build-widget.sh first" >&2; exit 2; }
done

# Debian's `brotli` if installed, else node's zlib (always there) at the same quality.
brotli_size() {
  if command -v brotli >/dev/null 2>&1; then
    brotli -q 11 -c "$1" | wc -c
  else
    node -e 'const z=require("zlib"),b=require("fs").readFileSync(process.argv[1]);
      process.stdout.write(String(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,[z.constants.BROTLI_PARAM_SIZE_HINT]:b.length}}).length))' "$1"
  fi
}

# Sums raw, gzip and brotli bytes of the files given into tr, tg, tb;
# with LIST=1, prints a row per file too.
measure() {
  tr=0 tg=0 tb=0
  local f r g b
  for f in "$@"; do
    r=$(stat -c %s "$f")
    g=$(gzip -9 -c "$f" | wc -c)
    b=$(brotli_size "$f")
    tr=$((tr + r)) tg=$((tg + g)) tb=$((tb + b))
    [ "${LIST:-0}" = 1 ] && printf '%-28s %10d %10d %10d\n' "${f#dist/}" "$r" "$g" "$b"
  done
  return 0
}

printf '%-28s %10s %10s %10s\n' file raw gzip brotli
LIST=1 measure "${files[@]}"
printf '%-28s %10d %10d %10d\n' total "$tr" "$tg" "$tb"
total=$tb

# The peer, measured in the same run: the least a React form ships, i.e.
# react + react-dom/client (+ scheduler) from package.json's devDependencies,
# bundled and minified for production by the same esbuild, brotli'd alike.
esbuild=node_modules/@esbuild/linux-x64/bin/esbuild
if [ -x "$esbuild" ] && [ -f node_modules/react-dom/package.json ]; then
  peer=$(mktemp -d)
  echo 'import { createRoot } from "react-dom/client"; import { createElement } from "react";
createRoot(document.body).render(createElement("form"));' >"$peer/entry.js"
  NODE_PATH=$PWD/node_modules "$esbuild" "$peer/entry.js" --bundle --minify --legal-comments=none \
    --log-level=warning --define:process.env.NODE_ENV='"production"' --outfile="$peer/out.js"
  measure "$peer/out.js"
  rm -rf "$peer"
  v=$(node -p 'require("./node_modules/react-dom/package.json").version')
  printf '%-28s %10d %10d %10d\n' "peer: react-dom $v" "$tr" "$tg" "$tb"
  echo "ratio:   our total is $((total * 100 / tb))% of React + react-dom"
else
  echo "peer:    not measured (run npm ci for react, react-dom and esbuild)"
fi

# The floor: built here (about a minute the first time, then cached).
if bash scripts/ship-wasm.sh bench/yew-floor/Cargo.toml baton-yew-floor target/yew-floor floor >/dev/null 2>&1; then
  measure target/yew-floor/floor.js target/yew-floor/floor_bg.wasm
  printf '%-28s %10d %10d %10d\n' "floor: minimal Yew form" "$tr" "$tg" "$tb"
  echo "floor:   a Yew form takes $tb of the target's $TARGET bytes brotli before Baton adds anything,"
  echo "         leaving $((TARGET - tb)); the widget weighs $((total - tb)) above the floor (Baton's form, rules"
  echo "         engine, messages, CSS and loader, with the parts of Yew and std they use)"
else
  echo "floor:   not measured (bench/yew-floor did not build: run it by hand to see why)"
fi
echo
loader=$(brotli_size dist/embed.js)
css=$(brotli_size dist/widget/widget.css)
echo "loader:  embed.js $loader bytes brotli (budget $LOADER)"
status=0
if [ "$loader" -gt "$LOADER" ]; then
  echo "FAIL: the loader is $((loader - LOADER)) bytes brotli over its budget" >&2
  status=1
fi
if [ -f edge/build/index.js ] && html=$(node scripts/first-input.mjs 2>/dev/null) && [ -n "$html" ]; then
  largest=0
  while read -r name raw br; do
    printf '%-28s %10d %10s %10d
' "html: $name" "$raw" "" "$br"
    [ "$br" -gt "$largest" ] && largest=$br
  done <<<"$html"
  first=$((loader + css + largest))
  echo "first input: loader + CSS + HTML = $first bytes brotli (budget $FIRST_INPUT)"
  if [ "$first" -gt "$FIRST_INPUT" ]; then
    echo "FAIL: the first-input path is $((first - FIRST_INPUT)) bytes brotli over its budget" >&2
    status=1
  fi
else
  echo "first input: not measured (no Worker in edge/build: run scripts/build-edge.sh)"
fi
echo "target:  $TARGET bytes brotli (80 KB) for everything"
if [ "$total" -gt "$TARGET" ]; then
  echo "target:  OVER by $((total - TARGET)) bytes brotli ($((total * 100 / TARGET))% of it)"
else
  echo "target:  met, $((TARGET - total)) bytes to spare"
fi
echo "ceiling: $CEILING bytes brotli (ratchet)"
if [ "$total" -gt "$CEILING" ]; then
  echo "FAIL: the widget grew $((total - CEILING)) bytes brotli past the ceiling" >&2
  status=1
fi
exit $status
