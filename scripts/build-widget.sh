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
#   dist/widget/live.js          loads the wasm and mounts it over the pre-rendered form
#   dist/widget/fallback.js      posts the pre-rendered form where the wasm cannot run
#   dist/widget/popup.js         the form in a dialog (data-baton-open, Baton.open)
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

# The wasm and its glue: cargo (std from source, panics abort), wasm-bindgen,
# wasm-opt, esbuild; see scripts/ship-wasm.sh.
bash scripts/ship-wasm.sh Cargo.toml baton-widget "$out/widget" widget

cp www/index.html www/embed-test.html www/openapi.json www/report.html www/report.css www/report.js "$out/"
# The demo page's CSP allows its one inline <style> by hash: computed from
# the page as built, so an edit to the style cannot leave the page unstyled.
style_hash=$(node -e '
  const html = require("fs").readFileSync("www/index.html", "utf8");
  const m = html.match(/<style>([\s\S]*?)<\/style>/);
  if (!m || html.split("<style>").length !== 2) { console.error("build-widget: www/index.html must have exactly one <style>"); process.exit(1); }
  process.stdout.write("sha256-" + require("crypto").createHash("sha256").update(m[1]).digest("base64"));')
sed "s|DEMO_STYLE_HASH|$style_hash|g" www/_headers > "$out/_headers"
bash scripts/minify.sh www/embed.js "$out/embed.js"
bash scripts/minify.sh www/widget.css "$out/widget/widget.css"
for f in live fallback popup; do bash scripts/minify.sh "www/$f.js" "$out/widget/$f.js"; done

echo "wrote $out/:"
(cd "$out" && find . -type f | sort | while read -r f; do
  printf '  %-26s %8d bytes\n' "${f#./}" "$(stat -c %s "$f")"
done)
