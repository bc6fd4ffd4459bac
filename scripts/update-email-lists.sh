#!/usr/bin/env bash
# FREE_EMAIL_DOMAINS_VERSION=1.12.6 — refreshes shared/data/free-email-domains.txt
# from the npm package of that name (a maintained, MIT-licensed list).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-1.12.6}
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent "free-email-domains@$version" >/dev/null && tar xzf ./*.tgz)
node -e '
const d = require(process.argv[1]);
const out = [...new Set(d.map(s => s.trim().toLowerCase()).filter(Boolean))].sort();
require("fs").writeFileSync(process.argv[2], out.join("\n") + "\n");
console.log(out.length + " domains");
' "$tmp/package/domains.json" shared/data/free-email-domains.txt
cp "$tmp/package/LICENSE.md" shared/data/free-email-domains.LICENSE.md
sed -i "2s/VERSION=[0-9.]*/VERSION=$version/" "$0"
rm -rf "$tmp"
