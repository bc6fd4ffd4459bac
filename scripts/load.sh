#!/usr/bin/env bash
# A bounded load run of the edge on loopback (issue #11, "Tests"): `POST
# /v1/leads` beside the hand-written JavaScript intake of
# ../shared/bench/edge-peer (`wrangler.de.toml`: validate, score, D1 insert,
# queue send) on the same workerd in the same run: requests/s, latency
# p50/p95/p99, non-2xx, CPU µs per request of the Worker's workerd, D1 rows
# against 201s; profile rows (`/v1/evaluate`, FAULTS=queue_send, deliveries
# on); then submit → webhook-received latency through a real receiver.
# Budgets: Baton's CPU per request ≤ 1.5× the peer's; submit → webhook p95
# ≤ 300 ms. The work is in bench/load/run.mjs; see bench/README.md.
#
# Each Worker runs alone on its own port with a fresh --persist-to state,
# never two at once, and never beside another benchmark: on these 2 cores
# timings move by ±20 %, read the ratios.
#
# Settings (environment):
#   LOAD_DURATION=10s      each measured wrk run
#   LOAD_CONNECTIONS="10 50"  wrk -c of the peer and Baton rows; profile rows use the first
#   LOAD_WARMUP=2s         wrk warm-up per Worker (not counted)
#   LOAD_LEADS=200         leads of the submit → webhook phase (2000: the full-size run)
#   LOAD_RATE=20           their pace, per second
#   LOAD_PROFILE=0         skip the profile rows (evaluate, FAULTS=queue_send, deliveries on)
#   LOAD_ONLY=peer,baton,nosend,full   run only these phases
#   LOAD_BUILD=0           run the Worker already in edge/build (no build-edge.sh)
#   PEER_DIR=../shared/bench   where edge-peer/ and peer-rules/ are read from
# Exit: 1 when a check fails (a lead lost, a webhook missing or unsigned),
# 2 on a setup error; a missed budget prints "over budget" and exits 3 only
# with BENCH_STRICT=1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

PEER_DIR=${PEER_DIR:-../shared/bench}
OUT=target/load
step() { printf '\n\033[1mload:\033[0m %s\n' "$*" >&2; }

for d in "$PEER_DIR/edge-peer/intake-js" "$PEER_DIR/edge-peer/migrations" "$PEER_DIR/peer-rules"; do
  [ -d "$d" ] || { echo "load: no $d (set PEER_DIR)" >&2; exit 2; }
done

if ! command -v wrk >/dev/null; then
  step "installing wrk (Debian)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null ||
    { $SUDO apt-get update >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
fi
[ -x node_modules/wrangler/bin/wrangler.js ] || { echo "load: node_modules/wrangler is missing; run scripts/setup.sh" >&2; exit 2; }

if [ "${LOAD_BUILD:-1}" = 0 ]; then
  [ -f edge/build/index.js ] || { echo "load: LOAD_BUILD=0 but edge/build/index.js is missing" >&2; exit 2; }
  step "LOAD_BUILD=0: running the Worker already in edge/build"
else
  step "building the Worker (scripts/build-edge.sh)"
  scripts/build-edge.sh >&2
fi

# The peer runs from a writable copy (wrangler writes .wrangler/ beside its
# config, and leadgen.js writes beside itself) with this repository's
# node_modules/wrangler, so both Workers run on the very same workerd. Its
# intake (d-hand.js) imports nothing from npm, so it needs no `npm ci`.
step "preparing the peer in $OUT/bench from $PEER_DIR"
mkdir -p "$OUT/bench/edge-peer" "$OUT/bench/peer-rules"
for d in edge-peer/intake-js edge-peer/migrations edge-peer/load peer-rules; do
  mkdir -p "$OUT/bench/$d"
  for f in "$PEER_DIR/$d"/* "$PEER_DIR/$d"/*/*; do
    [ -f "$f" ] || continue
    dest="$OUT/bench/${f#"$PEER_DIR"/}"
    mkdir -p "$(dirname "$dest")"
    if ! cmp -s "$f" "$dest"; then cp -f "$f" "$dest"; chmod u+w "$dest"; fi
  done
done
peer_lock=$(node -e 'const l=require(process.argv[1]);console.log(l.packages["node_modules/wrangler"].version, l.packages["node_modules/workerd"].version)' "$PEER_DIR/edge-peer/package-lock.json")
ours="$(node -p 'require("./node_modules/wrangler/package.json").version') $(node -p 'require("./node_modules/workerd/package.json").version')"
[ "$peer_lock" = "$ours" ] || echo "load: note: the peer's lockfile pins wrangler/workerd $peer_lock; both run on ours, $ours" >&2
if [ ! -s "$OUT/bench/peer-rules/leads.jsonl" ] || [ "$(wc -l <"$OUT/bench/peer-rules/leads.jsonl")" -lt 2000 ]; then
  step "generating the peer's 2,000 leads (leadgen.js) and bodies (make-bodies.js)"
  (cd "$OUT/bench/peer-rules" && node leadgen.js 2000 >&2)
  rm -f "$OUT/bench/edge-peer/load/bodies.jsonl"
fi
[ -s "$OUT/bench/edge-peer/load/bodies.jsonl" ] || node "$OUT/bench/edge-peer/load/make-bodies.js" 2000 >&2
[ -s "$OUT/baton-bodies.jsonl" ] && [ "$OUT/baton-bodies.jsonl" -nt bench/load/bodies.mjs ] ||
  node bench/load/bodies.mjs 2000 "$OUT/baton-bodies.jsonl" >&2

step "running (peer, then Baton; one Worker at a time)"
exec node bench/load/run.mjs --peer "$OUT/bench/edge-peer" --peer-bodies "$OUT/bench/edge-peer/load/bodies.jsonl" \
  --bodies "$OUT/baton-bodies.jsonl" --out "$OUT/results.json"
