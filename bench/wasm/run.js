// The peer benchmark's wasm driver: Baton's engine as wasm under Node, on the
// same 100,000 leads and with the same checksum as the JavaScript peers.
//
// usage: node bench/wasm/run.js --pkg=DIR --peer=DIR [--mode=bulk|edge|widget]
//                               [--leads=FILE] [--playbook=FILE] [--runs=5] [--json=FILE]
//   --pkg   the `wasm-bindgen --target nodejs` output for baton-bench-wasm
//   --peer  the writable copy of the peer folder (leadgen.js, expected-scores.txt.gz)
//   --mode  which build --pkg is (bench/wasm/Cargo.toml), so which entry points are timed:
//           bulk (default): score, evaluate, score per JS call;
//           edge: evaluate, and evaluate per request (fields JSON in, decision JSON out);
//           widget: preview, and preview per JS call (one per keystroke in the widget)
//
// The leads go into wasm once, before any timing, and become `Submission`s there.
// The `*_all` entry points loop inside wasm; the `*_one` ones are one call from JS
// per lead, so their figure includes the JS↔wasm boundary. Exits 1 when any score
// differs from the peer's.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const m = a.match(/^--([^=]+)=(.*)$/);
  return m ? [m[1], m[2]] : [a.replace(/^--/, ''), true];
}));
for (const required of ['pkg', 'peer']) {
  if (!args[required]) {
    console.error(`run.js: --${required}=DIR is required (see the usage at the top of this file)`);
    process.exit(2);
  }
}
const RUNS = +(args.runs || 5);
const MODE = args.mode || 'bulk';
if (!['bulk', 'edge', 'widget'].includes(MODE)) {
  console.error(`run.js: --mode is bulk, edge or widget, not ${MODE}`);
  process.exit(2);
}
const peer = path.resolve(args.peer);
const leadsPath = args.leads || path.join(peer, 'leads.jsonl');
const playbookPath = args.playbook || path.join(__dirname, '..', 'peer-rules.toml');
const { checksums } = require(path.join(peer, 'leadgen.js'));
const { PeerBench } = require(path.resolve(args.pkg, 'baton_bench_wasm.js'));

// The peer's published checksum for the 100,000 leads of seed 0xC0FFEE.
const PEER = { totalScore: 4741935, qualified: 50062, hash: 1556817041 };
const THRESHOLD = 60;

const lines = fs.readFileSync(leadsPath, 'utf8').split('\n').filter((l) => l.trim() !== '');
const expected = zlib.gunzipSync(fs.readFileSync(path.join(peer, 'expected-scores.txt.gz')))
  .toString('utf8').split('\n').filter((l) => l.trim() !== '').map(Number);
if (expected.length !== lines.length) {
  console.error(`run.js: ${expected.length} expected scores for ${lines.length} leads`);
  process.exit(2);
}
const bench = new PeerBench(fs.readFileSync(playbookPath, 'utf8'), `[${lines.join(',')}]`);
const n = bench.count();

let ok = true;
function check(what, scores, qualified) {
  const ck = checksums(scores, THRESHOLD);
  let good = true;
  const i = scores.findIndex((s, k) => s !== expected[k]);
  if (i >= 0) {
    console.error(`${what}: lead ${i} (line ${i + 1}) scores ${scores[i]} but the peer scores ${expected[i]}`);
    good = false;
  }
  if (n === 100000 && (ck.totalScore !== PEER.totalScore || ck.qualified !== PEER.qualified || ck.hash !== PEER.hash)) {
    console.error(`${what}: checksum ${JSON.stringify(ck)} differs from the peer's ${JSON.stringify(PEER)}`);
    good = false;
  }
  if (qualified !== undefined && qualified !== ck.qualified) {
    console.error(`${what}: ${qualified} leads qualified by grade, ${ck.qualified} scored ${THRESHOLD} or more`);
    good = false;
  }
  if (good) console.log(`${what.padEnd(9)} checksum OK: totalScore=${ck.totalScore} qualified=${ck.qualified} hash=${ck.hash}`);
  ok = ok && good;
  return ck;
}

function time(f) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    f();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const med = [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  return { us_per_lead: med * 1000 / n, median_ms: med, runs_ms: runs };
}

const perCall = new Int32Array(n);
const each = (f) => () => { for (let i = 0; i < n; i++) perCall[i] = f(i); };
// Per mode: [name, loop returning how many qualified (scores read after), per-lead call].
const ENTRY = {
  bulk: [['score', () => bench.score_all()], ['evaluate', () => bench.evaluate_all()], ['score_one', each((i) => bench.score_one(i))]],
  edge: [['evaluate', () => bench.evaluate_all()], ['evaluate_requests', () => bench.evaluate_requests()]],
  widget: [['preview', () => bench.preview_all()], ['preview_one', each((i) => bench.preview_one(i))]],
}[MODE];
const run = (name, f, label = name) => {
  const q = f();
  return name.endsWith('_one') ? check(label, perCall) : check(label, bench.scores(), q);
};

console.log(`baton wasm (${MODE} build) | node ${process.version} | ${n} leads | runs=${RUNS} (+1 warm-up)`);
// Warm-up passes, which are also the checks.
for (const [name, f] of ENTRY) run(name, f);
const results = {};
for (const [name, f] of ENTRY) results[name] = time(f);
// The timed runs must have computed the same verdicts.
let ck;
for (const [name, f] of ENTRY) ck = run(name, f, `${name} (after timing)`);

for (const [name, t] of Object.entries(results)) {
  console.log(`${name.padEnd(9)} median ${t.median_ms.toFixed(2).padStart(8)} ms  ${t.us_per_lead.toFixed(3).padStart(7)} us/lead  ` +
    `runs=[${t.runs_ms.map((r) => r.toFixed(2)).join(', ')}]`);
}
if (args.json) {
  fs.writeFileSync(args.json, JSON.stringify({ n, runs: RUNS, mode: MODE, checksum_ok: ok, ...ck, ...results }, null, 2));
}
process.exitCode = ok ? 0 : 1;
