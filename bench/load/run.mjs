#!/usr/bin/env node
// The bounded load run behind scripts/load.sh (read that first: it installs
// wrk, builds the Worker and prepares the peer's copy and bodies). This file
// starts each Worker alone on its own loopback port with a fresh state
// directory, loads it with wrk, reads its workerd's CPU from /proc, checks D1
// against the 201s, times submit → webhook through a real receiver, and
// prints one table with the budgets.
//
// node bench/load/run.mjs --peer DIR --peer-bodies FILE --bodies FILE [--out FILE]

import { spawn, execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, readFile, writeFile, cp } from "node:fs/promises";
import { readFileSync, readdirSync, existsSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

import { startReceiver, secretsFromVars } from "../../tests/support/receiver.mjs";
import { devVars } from "../../scripts/dev-vars.mjs";
import { post, knockedOut } from "./bodies.mjs";
import { startProfile } from "./cpuprofile.mjs";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..", "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const LUA = join(import.meta.dirname, "load.lua");
const ORIGIN = "http://localhost:8787"; // in icp.toml's allowed_origins
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };

const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PEER = resolve(arg("--peer", join(ROOT, "target", "load", "bench", "edge-peer")));
const PEER_BODIES = resolve(arg("--peer-bodies", join(PEER, "load", "bodies.jsonl")));
const BODIES = resolve(arg("--bodies", join(ROOT, "target", "load", "baton-bodies.jsonl")));
const OUT = resolve(arg("--out", join(ROOT, "target", "load", "results.json")));

const DURATION = process.env.LOAD_DURATION ?? "10s";
const WARMUP = process.env.LOAD_WARMUP ?? "2s";
const CONNS = (process.env.LOAD_CONNECTIONS ?? "10 50").split(/[\s,]+/).filter(Boolean).map(Number);
const LEADS = Number(process.env.LOAD_LEADS ?? 200);
const RATE = Number(process.env.LOAD_RATE ?? 20);
const PROFILE = process.env.LOAD_PROFILE !== "0";
const CPU_BUDGET = 1.5;
const WEBHOOK_P95_BUDGET_MS = 300;
const TICK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
const HAS_SQLITE = (() => { try { execFileSync("sqlite3", ["-version"], { stdio: "ignore" }); return true; } catch { return false; } })();

const log = (...a) => console.error("\x1b[2mload:\x1b[0m", ...a);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// ---------------------------------------------------------------------------
// /proc: the workerd under a wrangler, and its CPU

function procs() {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = s.lastIndexOf(")");
      const rest = s.slice(close + 2).split(" ");
      out.push({ pid: Number(d), comm: s.slice(s.indexOf("(") + 1, close), ppid: Number(rest[1]) });
    } catch { /* gone */ }
  }
  return out;
}

function descendants(root) {
  const all = procs();
  const found = [];
  const walk = (pid) => {
    for (const p of all) if (p.ppid === pid) { found.push(p); walk(p.pid); }
  };
  walk(root);
  return found;
}

/** utime + stime of a process, all its threads, in seconds (0 when gone). */
function cpuOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / TICK;
  } catch {
    return 0;
  }
}
const cpu = (pids) => pids.reduce((a, p) => a + cpuOf(p), 0);

/** Busy seconds of the whole machine (all cores), from /proc/stat. */
function machineBusy() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0)) / TICK;
}

/** CPU seconds of this process and everything under it, reaped children included. */
function mine() {
  const all = [{ pid: process.pid }, ...descendants(process.pid)];
  let t = 0;
  for (const p of all) {
    try {
      const rest = readFileSync(`/proc/${p.pid}/stat`, "utf8");
      const f = rest.slice(rest.lastIndexOf(")") + 2).split(" ");
      t += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICK;
    } catch { /* gone */ }
  }
  return t;
}

/** A window over which other processes' CPU (not this run's) is measured, in cores. */
function others() {
  const b0 = machineBusy();
  const m0 = mine();
  const t0 = process.hrtime.bigint();
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    return Math.max(0, (machineBusy() - b0 - (mine() - m0)) / wall);
  };
}

// ---------------------------------------------------------------------------
// A Worker under `wrangler dev`

async function wrangler(args, cwd) {
  const { stdout } = await run(process.execPath, [WRANGLER, ...args], { cwd, env: ENV, timeout: 90_000, maxBuffer: 64 << 20 });
  return stdout;
}

async function startWorker({ name, cwd, config, vars = {}, health, inspector = true, scheduled = false, inspectorPort }) {
  const state = await mkdtemp(join(tmpdir(), "baton-load-"));
  const cfg = config ? ["--config", config] : [];
  await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state, ...cfg], cwd);
  const port = await freePort();
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const argv = inspector
    ? [WRANGLER, "dev", ...cfg, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state,
      "--show-interactive-dev-session=false", "--log-level", "warn",
      ...(scheduled ? ["--test-scheduled"] : []), ...(inspectorPort ? ["--inspector-port", String(inspectorPort)] : []), ...varArgs]
    : [join(import.meta.dirname, "start-worker.mjs"), "--config", resolve(cwd, config ?? "wrangler.toml"),
      "--port", String(port), "--persist-to", state, ...(scheduled ? ["--test-scheduled"] : []), ...varArgs];
  // Own process group, so stop() ends wrangler and both its workerd.
  const child = spawn(process.execPath, argv, { cwd, env: ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const reap = () => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } };
  process.once("exit", reap);
  let output = "";
  // The last 64 KB of what wrangler prints (enough for an error; a run can log a lot).
  const file = process.env.LOAD_LOG_DIR ? createWriteStream(join(process.env.LOAD_LOG_DIR, `${name}.log`)) : null;
  const keep = (d) => { file?.write(d); output += d; if (output.length > 131072) output = output.slice(-65536); };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((ok) => child.once("exit", (code) => ok(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const code = await Promise.race([exited, sleep(250)]);
    if (code !== undefined) { await rm(state, { recursive: true, force: true }); throw new Error(`${name}: wrangler dev exited with ${code}:\n${output}`); }
    try {
      if ((await fetch(url + health)).status === 200) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) { reap(); await rm(state, { recursive: true, force: true }); throw new Error(`${name}: no answer on ${health} within 60 s:\n${output}`); }
  }
  // wrangler 4 runs two workerd: its proxy on the port we asked for, which
  // forwards every request to the Worker's own runtime (random port, with the
  // inspector). CPU per request is the Worker's runtime; the proxy is
  // reported apart (the same code in front of both Workers).
  const tree = descendants(child.pid);
  const all = tree.filter((p) => p.comm === "workerd").map((p) => p.pid);
  const cmd = (pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"); } catch { return []; } };
  const proxy = all.filter((pid) => cmd(pid).includes(`--socket-addr=entry=127.0.0.1:${port}`));
  const workerd = all.filter((pid) => !proxy.includes(pid));
  if (workerd.length === 0) { reap(); throw new Error(`${name}: no workerd process for the Worker under wrangler ${child.pid}: ${all}`); }
  const others = [child.pid, ...tree.filter((p) => p.comm !== "workerd").map((p) => p.pid)];

  const dbFile = () => {
    const dir = join(state, "v3", "d1", "miniflare-D1DatabaseObject");
    const f = existsSync(dir) && readdirSync(dir).find((x) => x.endsWith(".sqlite") && x !== "metadata.sqlite");
    return f ? join(dir, f) : null;
  };
  return {
    name, url, port, workerd, proxy, others, state,
    log: () => output,
    /** The first column of the first row of a query on the Worker's local D1. */
    async scalar(query) {
      const f = HAS_SQLITE && dbFile();
      if (f) {
        const { stdout } = await run("sqlite3", ["-readonly", f, query]);
        return Number(stdout.trim());
      }
      const out = JSON.parse(await wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, ...cfg, "--json", "--command", query], cwd));
      return Number(Object.values(out[0].results[0])[0]);
    },
    async text(query) {
      const f = HAS_SQLITE && dbFile();
      return f ? (await run("sqlite3", ["-readonly", f, query])).stdout : "(no sqlite3)";
    },
    /** Fires the cron trigger once (the outbox's sweeper). */
    async scheduled() {
      const res = await fetch(`${url}/__scheduled?cron=*+*+*+*+*`);
      if (!res.ok) throw new Error(`/__scheduled answered ${res.status}`);
    },
    async stop() {
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
      const t = setTimeout(reap, 5_000);
      await exited;
      clearTimeout(t);
      process.off("exit", reap);
      await rm(state, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------
// wrk

let tags = 0;
async function wrk(w, { path, bodies, conns, duration }) {
  const tag = `r${(++tags).toString(36)}${Date.now().toString(36).slice(-4)}`;
  const leads0 = await w.scalar("select count(*) from leads").catch(() => NaN);
  const c0 = cpu(w.workerd);
  const p0 = cpu(w.proxy);
  const o0 = cpu(w.others);
  const foreign = others();
  const t0 = process.hrtime.bigint();
  const { stdout } = await run("wrk", ["-t1", `-c${conns}`, `-d${duration}`, "--timeout", "10s", "-s", LUA, w.url + path], {
    env: { ...process.env, BODIES: bodies, WRK_PATH: path, ORIGIN, TAG: tag },
    timeout: 10 * 60_000,
    maxBuffer: 16 << 20,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const otherCores = foreign();
  const c1 = cpu(w.workerd);
  const p1 = cpu(w.proxy);
  const o1 = cpu(w.others);
  const line = stdout.split("\n").find((l) => l.startsWith("LOADJSON "));
  if (!line) throw new Error(`wrk printed no LOADJSON line:\n${stdout}`);
  const r = JSON.parse(line.slice(9));
  r.conns = conns;
  r.path = path;
  r.cpu_s = c1 - c0;
  r.proxy_cpu_s = p1 - p0;
  r.proxy_us_per_2xx = r.s2xx ? (r.proxy_cpu_s * 1e6) / r.s2xx : NaN;
  r.node_cpu_s = o1 - o0;
  r.wall_s = wall;
  r.cpu_us_per_2xx = r.s2xx ? (r.cpu_s * 1e6) / r.s2xx : NaN;
  r.busy = r.cpu_s / wall;
  r.answer_bytes = r.s2xx ? r.bytes2xx / r.s2xx : NaN;
  r.cpu_at_end = c1;
  r.other_cores = otherCores;
  r.leads_before = leads0;
  r.leads_after = await w.scalar("select count(*) from leads").catch(() => NaN);
  return r;
}

const bodyBytes = (file) => {
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => Buffer.byteLength(l.replaceAll("~U~", "r1t0n1234")));
  return lines.reduce((a, b) => a + b, 0) / lines.length;
};

async function until(pred, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------
// A snapshot of the Worker: edge/build, dist, the migrations, icp.toml and
// wrangler.toml copied to target/load/snapshot at the start, and two configs
// pointing at the copies: `full` (wrangler.toml as it is) and `intake`
// (without [[queues.consumers]]: the queue takes every message, nobody
// drains it during the run). wrangler dev reloads a Worker whose files
// change, and others may rebuild edge/build mid-run: the snapshot keeps every
// phase on the same build.

const SNAP = join(ROOT, "target", "load", "snapshot");
let SNAPSHOT;
async function snapshot() {
  await rm(SNAP, { recursive: true, force: true });
  for (const d of ["edge/build", "dist", "edge/migrations"]) await cp(join(ROOT, d), join(SNAP, d), { recursive: true });
  for (const f of ["icp.toml", "wrangler.toml"]) await cp(join(ROOT, f), join(SNAP, f));
  const text = await readFile(join(SNAP, "wrangler.toml"), "utf8");
  const write = async (name, dropConsumers) => {
    const out = [];
    let skipping = false;
    for (const line of text.split("\n")) {
      const header = /^\s*\[\[?([^\]]+)\]\]?\s*$/.exec(line);
      if (header) skipping = dropConsumers && header[1].trim() === "queues.consumers";
      if (!skipping) out.push(line);
    }
    const file = join(SNAP, name);
    await writeFile(file, `# Written by bench/load/run.mjs from wrangler.toml${dropConsumers ? ", without [[queues.consumers]]" : ""}.\n` + out.join("\n"));
    return file;
  };
  return {
    full: await write("wrangler.full.toml", false),
    intake: await write("wrangler.intake.toml", true),
    toml: await readFile(join(SNAP, "icp.toml"), "utf8"),
  };
}

// ---------------------------------------------------------------------------

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

const results = { when: new Date().toISOString(), duration: DURATION, conns: CONNS, rows: [], checks: [], budgets: [] };
const rows = results.rows;
const check = (ok, what) => { results.checks.push({ ok, what }); if (!ok) log(`CHECK FAILED: ${what}`); };

// wrk stops counting at its deadline with up to -c requests still in flight;
// the Worker finishes and stores those, so D1 may hold up to that many more.
function checkRows(who, stored, created, cut) {
  check(stored >= created && stored <= created + cut,
    `${who}: ${stored} rows in D1 for ${created} answers 201 (+ at most ${cut} cut off when wrk stopped)`);
}

async function versions() {
  const v = (p) => { try { return JSON.parse(readFileSync(join(ROOT, "node_modules", p, "package.json"), "utf8")).version; } catch { return "?"; } };
  return { wrangler: v("wrangler"), workerd: v("workerd") };
}

// The peer, then Baton's intake: warm-up, one wrk run per connection count,
// and (profile) /v1/evaluate on the same Worker. `inspector: false` starts
// them without wrangler's DevTools inspector (start-worker.mjs).
async function peerPhase({ inspector = true, conns = CONNS } = {}) {
  const row = inspector ? "peer" : "peer-noinsp";
  const w = await startWorker({ name: row, cwd: join(PEER, "intake-js"), config: "wrangler.de.toml", health: "/", inspector });
  try {
    log(`${row}: intake-de on ${w.url} (workerd ${w.workerd.join(",")}, proxy ${w.proxy.join(",")}): warm-up ${WARMUP}`);
    let created = (await wrk(w, { path: "/leads", bodies: PEER_BODIES, conns: conns[0], duration: WARMUP })).s201;
    let cut = conns[0];
    for (const c of conns) {
      cut += c;
      log(`${row}: -c${c} -d${DURATION}`);
      const r = await wrk(w, { path: "/leads", bodies: PEER_BODIES, conns: c, duration: DURATION });
      created += r.s201;
      rows.push({ row, label: `peer intake-de (JS: D1 + queue)${inspector ? "" : ", no inspector"}`, body_bytes: bodyBytes(PEER_BODIES), ...r });
    }
    await sleep(500);
    const stored = await w.scalar("select count(*) from leads");
    for (const r of rows.filter((x) => x.row === row)) r.rows_vs_201 = `${stored}/${created}`;
    checkRows(row, stored, created, cut);
  } finally {
    await w.stop();
  }
}

// The owner lookup every lead makes (edge/src/owner.rs, read from the
// source): its query plan on the Worker's D1 at the size the run left it,
// and its time in sqlite3 (median of 21), for a domain and email nobody has.
async function ownerLookup(w) {
  if (!HAS_SQLITE) return null;
  const src = await readFile(join(ROOT, "edge", "src", "owner.rs"), "utf8").catch(() => "");
  const m = /"(SELECT[^"]*FROM leads[^"]*)"/.exec(src);
  if (!m) return null;
  const q = m[1].replace(/\\\n\s*/g, "").replace(/\s+/g, " ").trim();
  const since = new Date(Date.now() - 90 * 86_400_000).toISOString();
  const params = [["?1", "'demo'"], ["?2", "'nobody@fresh-domain.example'"], ["?3", `'${since}'`], ["?4", "'fresh-domain.example'"], ["?5", `'${since}'`]];
  const script = [".parameter init", ...params.map(([k, v]) => `.parameter set ${k} ${v}`), `EXPLAIN QUERY PLAN ${q};`, ".timer on",
    ...Array.from({ length: 21 }, () => `${q};`)].join("\n") + "\n";
  const f = readdirSync(join(w.state, "v3", "d1", "miniflare-D1DatabaseObject")).find((x) => x.endsWith(".sqlite") && x !== "metadata.sqlite");
  const outp = await new Promise((ok, fail) => {
    const c = spawn("sqlite3", ["-readonly", join(w.state, "v3", "d1", "miniflare-D1DatabaseObject", f)], { stdio: ["pipe", "pipe", "pipe"] });
    let o = "";
    c.stdout.on("data", (d) => (o += d));
    c.stderr.on("data", (d) => (o += d));
    c.on("exit", () => ok(o));
    c.on("error", fail);
    c.stdin.end(script);
  });
  const plan = outp.split("\n").filter((l) => /SEARCH|SCAN|MULTI-INDEX|TEMP B-TREE/.test(l)).map((l) => l.replace(/^[\s|`-]+/, "").trim());
  const times = [...outp.matchAll(/user ([\d.]+) sys ([\d.]+)/g)].map((x) => (Number(x[1]) + Number(x[2])) * 1e6);
  const rowsNow = await w.scalar("select count(*) from leads");
  return { rows: rowsNow, plan, us: pct(times, 50) };
}

async function batonIntakePhase(config, { inspector = true, conns = CONNS, evaluate = PROFILE } = {}) {
  const row = inspector ? "baton" : "baton-noinsp";
  const vars = devVars(SNAPSHOT.toml, await freePort());
  const w = await startWorker({ name: row, cwd: SNAP, config, vars, health: "/v1/health", inspector });
  try {
    log(`${row}: no queue consumer, on ${w.url} (workerd ${w.workerd.join(",")}, proxy ${w.proxy.join(",")}): warm-up ${WARMUP}`);
    let created = (await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: conns[0], duration: WARMUP })).s201;
    let cut = conns[0];
    for (const c of conns) {
      cut += c;
      log(`${row} /v1/leads: -c${c} -d${DURATION}`);
      const r = await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: c, duration: DURATION });
      created += r.s201;
      if (inspector) {
        await sleep(300);
        const o = await ownerLookup(w).catch(() => null);
        if (o) (results.owner_lookups ??= []).push({ rows: o.rows, us: o.us });
      }
      rows.push({ row, label: `baton /v1/leads (intake+outbox+queue)${inspector ? "" : ", no inspector"}`, body_bytes: bodyBytes(BODIES), ...r });
    }
    await sleep(500);
    const stored = await w.scalar("select count(*) from leads");
    if (evaluate) {
      log(`${row} /v1/evaluate: -c${conns[0]} -d${DURATION}`);
      const r = await wrk(w, { path: "/v1/evaluate", bodies: BODIES, conns: conns[0], duration: DURATION });
      await sleep(500);
      const added = (await w.scalar("select count(*) from leads")) - stored;
      check(added === 0, `/v1/evaluate stored ${added} leads`);
      rows.push({ row: "evaluate", label: "profile: baton /v1/evaluate (no storage)", body_bytes: bodyBytes(BODIES), rows_vs_201: `+${added}`, ...r });
    }
    const deliveries = await w.scalar("select count(*) from deliveries");
    for (const r of rows.filter((x) => x.row === row)) r.rows_vs_201 = `${stored}/${created}`;
    if (inspector) {
      results.baton_deliveries_per_lead = deliveries / stored;
      results.owner_lookup = await ownerLookup(w).catch((e) => ({ error: e.message }));
    }
    checkRows(row, stored, created, cut);
  } finally {
    await w.stop();
  }
}

// FAULTS=queue_send (the intake skips the queue send; its rows stay
// pending), with the queue consumer and a receiver but no inspector: first
// the intake without the send, then deliveries alone: one sweep (the cron
// trigger, fired by hand) enqueues up to 500 of the pending deliveries and
// the consumer makes them, nothing else running. CPU from the sweep until
// they are all delivered, per delivery.
const SWEEP = 500; // sweeper.rs BATCH
async function batonNoSendPhase({ inspector = false, profilePort } = {}) {
  const secrets = {};
  const rx = await startReceiver({ secrets });
  const vars = { ...devVars(SNAPSHOT.toml, rx.port), FAULTS: "queue_send", SWEEP_AFTER_SECONDS: "2" };
  Object.assign(secrets, secretsFromVars(vars));
  const w = await startWorker({ name: "baton-nosend", cwd: SNAP, config: SNAPSHOT.full, vars, health: "/v1/health", inspector, scheduled: true, inspectorPort: profilePort });
  const count = (where) => w.scalar(`select count(*) from deliveries where ${where}`);
  const out = {};
  try {
    log(`baton FAULTS=queue_send${inspector ? "" : ", no inspector,"} on ${w.url}: warm-up ${WARMUP}`);
    let created = (await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: CONNS[0], duration: WARMUP })).s201;
    log(`baton /v1/leads FAULTS=queue_send: -c${CONNS[0]} -d${DURATION}`);
    const r = await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: CONNS[0], duration: DURATION });
    created += r.s201;
    await sleep(2500); // past SWEEP_AFTER_SECONDS of the last lead
    const stored = await w.scalar("select count(*) from leads");
    if (!profilePort) rows.push({ row: "nosend", label: "profile: baton /v1/leads, FAULTS=queue_send, no inspector", body_bytes: bodyBytes(BODIES), rows_vs_201: `${stored}/${created}`, ...r });
    checkRows("baton FAULTS=queue_send", stored, created, 2 * CONNS[0]);
    check((await count("status = 'delivered'")) === 0, "FAULTS=queue_send: nothing delivered before the sweep");

    rx.reset();
    const pending = await count("status = 'pending'");
    const n = Math.min(pending, SWEEP);
    log(`deliveries alone: one sweep of ${n} of ${pending} pending deliveries`);
    const prof = profilePort ? await startProfile(profilePort) : null;
    const c0 = cpu(w.workerd);
    const t0 = Date.now();
    await w.scheduled();
    await until(async () => (await count("status = 'delivered'")) >= n, 120_000, `${n} deliveries after one sweep`)
      .catch(async (e) => { log(await w.text("select status, attempts, count(*), max(last_error) from deliveries group by 1, 2")); throw e; });
    const cpuS = cpu(w.workerd) - c0;
    const wall = (Date.now() - t0) / 1000;
    if (prof) out.deliveries = await prof.stop();
    const hooks = rx.received.filter((x) => x.kind === "webhook");
    const slacks = rx.received.filter((x) => x.kind === "slack");
    if (!profilePort) {
      results.deliveries_alone = {
        deliveries: n, cpu_s: cpuS, wall_s: wall, us_per_delivery: (cpuS * 1e6) / n,
        per_second: n / wall, webhooks: hooks.length, slack: slacks.length,
      };
    }
    check(hooks.every((x) => x.verified) && slacks.every((x) => x.valid), `deliveries alone: ${hooks.length} webhooks verified, ${slacks.length} Slack messages valid`);
    check(hooks.length + slacks.length >= n, `deliveries alone: the receiver got ${hooks.length + slacks.length} of ${n}`);
  } finally {
    await w.stop();
    await rx.stop();
  }
  return out;
}

// LOAD_CPUPROFILE=1: V8's sampling profiler on the Worker's isolate over
// wrangler's inspector, for the intake (no queue send) and for deliveries
// alone; prints self time by function and by crate. Figures under the
// profiler are not the table's.
async function cpuProfilePhase(config) {
  const out = {};
  {
    const port = await freePort();
    const vars = devVars(SNAPSHOT.toml, await freePort());
    const w = await startWorker({ name: "baton-profile", cwd: SNAP, config, vars, health: "/v1/health", inspectorPort: port });
    try {
      await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: CONNS[0], duration: WARMUP });
      log(`CPU profile of baton /v1/leads (no queue consumer): -c${CONNS[0]} -d${DURATION}`);
      const prof = await startProfile(port);
      await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: CONNS[0], duration: DURATION });
      out.intake = await prof.stop();
    } finally {
      await w.stop();
    }
  }
  out.deliveries = (await batonNoSendPhase({ inspector: true, profilePort: await freePort() })).deliveries;
  const print = (title, p) => {
    console.log(`\n${title}: ${f0(p.total_ms)} ms sampled, ${f0(p.idle_ms)} ms idle, ${f0(p.busy_ms)} ms in JS/wasm`);
    console.log("  by crate / origin:");
    for (const c of p.crates) console.log(`    ${pad((c.share * 100).toFixed(1), 5)} %  ${c.name}`);
    console.log("  by function (self time):");
    for (const f of p.functions) console.log(`    ${pad((f.share * 100).toFixed(1), 5)} %  ${f.name.slice(0, 140)}`);
    console.log("  Rust functions by total time (callees included), % of the time in JS/wasm:");
    for (const f of p.inclusive) console.log(`    ${pad((f.share * 100).toFixed(1), 5)} %  ${f.name.slice(0, 140)}`);
  };
  print(`CPU profile, baton /v1/leads (intake, no consumer), -c${CONNS[0]} -d${DURATION}`, out.intake);
  if (out.deliveries) print("CPU profile, deliveries alone (one sweep)", out.deliveries);
  results.cpuprofile = out;
}

async function batonDeliveryPhase() {
  const secrets = {};
  const rx = await startReceiver({ secrets });
  const vars = devVars(SNAPSHOT.toml, rx.port);
  Object.assign(secrets, secretsFromVars(vars));
  const w = await startWorker({ name: "baton-full", cwd: SNAP, config: SNAPSHOT.full, vars, health: "/v1/health" });
  const pending = () => w.scalar("select count(*) from deliveries where status = 'pending'");
  try {
    log(`baton with its queue consumer and a receiver on ${rx.url}: warm-up ${WARMUP}`);
    let created = (await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: CONNS[0], duration: WARMUP })).s201;
    let cut = CONNS[0];
    await until(async () => (await pending()) === 0, 120_000, "the warm-up's deliveries").catch(async (e) => {
      log(await w.text("select status, attempts, count(*), max(last_error) from deliveries group by 1, 2"));
      log(w.log().slice(-3000));
      throw e;
    });
    if (PROFILE) {
      log(`baton /v1/leads with deliveries: -c${CONNS[0]} -d${DURATION}, then until every delivery is made`);
      const r = await wrk(w, { path: "/v1/leads", bodies: BODIES, conns: CONNS[0], duration: DURATION });
      created += r.s201;
      cut += CONNS[0];
      const t0 = Date.now();
      await until(async () => (await pending()) === 0, 300_000, "the load run's deliveries");
      r.drain_s = (Date.now() - t0) / 1000;
      r.cpu_with_drain_us_per_2xx = ((cpu(w.workerd) - r.cpu_at_end + r.cpu_s) * 1e6) / r.s2xx;
      rows.push({ row: "full", label: "profile: baton /v1/leads, deliveries on (real config)", body_bytes: bodyBytes(BODIES), ...r });
    }

    // Submit → webhook: paced posts, each timed to its webhook's arrival.
    rx.reset();
    const picks = [];
    for (let i = 100_000; picks.length < LEADS; i++) if (!knockedOut(i)) picks.push(i);
    log(`submit → webhook: ${LEADS} leads at ${RATE}/s`);
    const sent = new Map();
    const answers = [];
    const foreign = others();
    const start = Date.now();
    const tag = `lat${Date.now().toString(36).slice(-5)}`;
    await Promise.all(picks.map(async (i, k) => {
      const due = start + (k * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const at = Date.now();
      const res = await fetch(`${w.url}/v1/leads`, { method: "POST", headers: { "content-type": "application/json", origin: ORIGIN }, body: post(i, `${tag}n${k}`) });
      const text = await res.text();
      answers.push(Date.now() - at);
      if (res.status !== 201) { check(false, `paced lead ${k}: ${res.status} ${text.slice(0, 200)}`); return; }
      created += 1;
      sent.set(JSON.parse(text).lead_id, at);
    }));
    const leadOf = (r) => r.event?.data?.lead_id;
    const firstHook = () => {
      const m = new Map();
      for (const r of rx.received) {
        if (r.kind !== "webhook" || !String(r.event?.type ?? "").startsWith("lead.")) continue;
        const id = leadOf(r);
        if (sent.has(id) && !m.has(id)) m.set(id, r);
      }
      return m;
    };
    try {
      await rx.waitFor(() => firstHook().size === sent.size, 30_000 + LEADS * 20);
    } catch (e) {
      log(e.message);
    }
    const hooks = firstHook();
    const lat = [...hooks].map(([id, r]) => r.at - sent.get(id));
    const verified = [...hooks.values()].filter((r) => r.verified).length;
    const allHooks = rx.received.filter((r) => r.kind === "webhook");
    const slacks = rx.received.filter((r) => r.kind === "slack");
    await until(async () => (await pending()) === 0, 60_000, "the paced leads' deliveries").catch((e) => log(e.message));
    const stored = await w.scalar("select count(*) from leads");
    const delivered = await w.scalar("select count(*) from deliveries where status = 'delivered'");
    const all = await w.scalar("select count(*) from deliveries");
    results.latency = {
      leads: LEADS, rate: RATE, arrived: hooks.size, sent: sent.size, verified,
      all_webhooks_verified: allHooks.every((r) => r.verified), slack: slacks.length, slack_valid: slacks.filter((s) => s.valid).length,
      p50_ms: pct(lat, 50), p95_ms: pct(lat, 95), p99_ms: pct(lat, 99), max_ms: Math.max(...lat),
      answer_p50_ms: pct(answers, 50), answer_p95_ms: pct(answers, 95),
      paced_for_s: (Date.now() - start) / 1000, other_cores: foreign(),
    };
    for (const r of rows.filter((x) => x.row === "full")) r.rows_vs_201 = `${stored}/${created}`;
    checkRows("baton with deliveries", stored, created, cut);
    check(hooks.size === LEADS && sent.size === LEADS, `submit → webhook: ${hooks.size} of ${LEADS} leads reached their rep's webhook`);
    check(verified === hooks.size && allHooks.every((r) => r.verified), `every webhook signature verified (${allHooks.filter((r) => r.verified).length}/${allHooks.length})`);
    check(slacks.every((s) => s.valid), `every Slack message valid (${slacks.length})`);
    check(delivered === all, `every delivery row delivered (${delivered}/${all})`);
  } finally {
    await w.stop();
    await rx.stop();
  }
}

// ---------------------------------------------------------------------------
// The table

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toString() : "-");
const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(1) : "-");
const pad = (s, n) => String(s).padStart(n);

function table() {
  const v = results.versions;
  const lines = [];
  const at = (name, c = CONNS[0]) => rows.find((x) => x.row === name && x.conns === c);
  lines.push("");
  lines.push(`load: wrk -t1 -d${DURATION} on loopback, each Worker alone under wrangler dev on workerd ${v.workerd} (wrangler ${v.wrangler}), ${results.cores} cores`);
  lines.push("CPU = utime+stime of the Worker's workerd (all threads) / 2xx; busy = that CPU / wall; proxy = wrangler's proxy workerd in front (apart);");
  lines.push("others = cores used by processes outside this run meanwhile (should be ~0); D1 leads = rows in the Worker's D1 before → after the run");
  lines.push(`${"row".padEnd(56)}${pad("conns", 6)}${pad("req/s", 8)}${pad("p50 ms", 8)}${pad("p95 ms", 8)}${pad("p99 ms", 8)}${pad("non-2xx", 8)}${pad("CPU µs/req", 11)}${pad("busy", 6)}${pad("proxy µs", 9)}${pad("body B", 7)}${pad("answer B", 9)}${pad("others", 7)}${pad("D1 leads", 12)}  rows/201`);
  const row = (r) => lines.push(`${r.label.padEnd(56)}${pad(r.conns, 6)}${pad(f1(r.rps), 8)}${pad(ms(r.p50_us), 8)}${pad(ms(r.p95_us), 8)}${pad(ms(r.p99_us), 8)}${pad(r.sother + r.err_connect + r.err_read + r.err_write + r.err_timeout, 8)}${pad(f0(r.cpu_us_per_2xx), 11)}${pad(`${Math.round(r.busy * 100)}%`, 6)}${pad(f0(r.proxy_us_per_2xx), 9)}${pad(f0(r.body_bytes), 7)}${pad(f0(r.answer_bytes), 9)}${pad(r.other_cores.toFixed(2), 7)}${pad(`${r.leads_before}→${r.leads_after}`, 12)}  ${r.rows_vs_201 ?? "-"}`);
  const ratio = (label, b, p) => lines.push(`${label.padEnd(56)}${pad(b.conns, 6)}${pad(`${(b.rps / p.rps).toFixed(2)}×`, 8)}${pad(`${(b.p50_us / p.p50_us).toFixed(2)}×`, 8)}${pad(`${(b.p95_us / p.p95_us).toFixed(2)}×`, 8)}${pad(`${(b.p99_us / p.p99_us).toFixed(2)}×`, 8)}${pad("", 8)}${pad(`${(b.cpu_us_per_2xx / p.cpu_us_per_2xx).toFixed(2)}×`, 11)}${pad("", 6)}${pad(`${(b.proxy_us_per_2xx / p.proxy_us_per_2xx).toFixed(2)}×`, 9)}${pad("", 7)}${pad(`${(b.answer_bytes / p.answer_bytes).toFixed(0)}×`, 9)}`);
  for (const r of rows.filter((x) => x.row === "peer" || x.row === "baton")) row(r);
  for (const c of CONNS) {
    const p = at("peer", c);
    const b = at("baton", c);
    if (p && b) ratio("ratio baton/peer", b, p);
  }
  const prof = rows.filter((x) => !["peer", "baton"].includes(x.row));
  if (prof.length) {
    lines.push("profile:");
    for (const r of prof) row(r);
    const pn = at("peer-noinsp");
    const bn = at("baton-noinsp");
    if (pn && bn) ratio("ratio baton/peer, no inspector", bn, pn);
    const b = at("baton");
    const e = at("evaluate");
    const n = at("nosend");
    const full = at("full");
    const p = at("peer");
    lines.push(`CPU µs per lead at -c${CONNS[0]}, from the rows above (differences of ~10 s runs: ±10 %):`);
    const li = (what, x) => lines.push(`  ${what.padEnd(92)}${pad(f0(x), 7)}`);
    if (p) li("peer, everything", p.cpu_us_per_2xx);
    if (b) li("baton, everything in the intake", b.cpu_us_per_2xx);
    if (e) li("baton HTTP + JSON + evaluate + answer (/v1/evaluate)", e.cpu_us_per_2xx);
    if (b && e) li("baton storage: owner lookup, round-robin turn, D1 writes, queue send (leads − evaluate)", b.cpu_us_per_2xx - e.cpu_us_per_2xx);
    if (bn && n) li("baton queue send (no-inspector leads − FAULTS=queue_send, which logs an error instead)", bn.cpu_us_per_2xx - n.cpu_us_per_2xx);
    if (b && bn) li("baton wrangler's inspector Network tracing (leads − leads without inspector)", b.cpu_us_per_2xx - bn.cpu_us_per_2xx);
    if (p && pn) li("peer wrangler's inspector Network tracing", p.cpu_us_per_2xx - pn.cpu_us_per_2xx);
    if (full) {
      li(`baton with deliveries on, in the load window (${f0(full.s2xx)} leads)`, full.cpu_us_per_2xx);
      li(`baton with deliveries on, until every delivery was made (+${f1(full.drain_s)} s)`, full.cpu_with_drain_us_per_2xx);
      if (b) li(`baton deliveries, ${f1(results.baton_deliveries_per_lead)} per lead (that − intake)`, full.cpu_with_drain_us_per_2xx - b.cpu_us_per_2xx);
    }
    const d = results.deliveries_alone;
    if (d) li(`baton one delivery, alone (one sweep of ${d.deliveries}, no inspector; ${f0(d.per_second)}/s, ${d.webhooks} webhooks + ${d.slack} Slack)`, d.us_per_delivery);
  }
  const o = results.owner_lookup;
  if (o?.plan) {
    const sizes = (results.owner_lookups ?? []).map((x) => `${f0(x.us)} µs at ${x.rows} leads`).join(", ");
    lines.push(`baton's owner lookup (edge/src/owner.rs), one query in the sqlite3 CLI (default cache) on the run's D1 after each run: ${sizes}`);
    lines.push(`  plan: ${o.plan.join(" / ")}`);
  }
  const l = results.latency;
  if (l) {
    lines.push(`submit → webhook received, ${l.leads} leads at ${l.rate}/s (deliveries on): p50 ${l.p50_ms} ms, p95 ${l.p95_ms} ms, p99 ${l.p99_ms} ms, max ${l.max_ms} ms;`);
    lines.push(`  arrived ${l.arrived}/${l.leads}, signatures verified ${l.verified}/${l.arrived}, Slack messages ${l.slack_valid}/${l.slack} valid; the 201 answer p50 ${l.answer_p50_ms} ms, p95 ${l.answer_p95_ms} ms; others ${l.other_cores.toFixed(2)} cores`);
  }
  const noisy = Math.max(...rows.map((r) => r.other_cores), results.latency?.other_cores ?? 0);
  if (noisy > 0.25) lines.push(`WARNING: other processes used up to ${noisy.toFixed(2)} cores during a measurement: these figures are disturbed, run again on a quiet machine`);
  for (const c of results.checks.filter((x) => !x.ok)) lines.push(`CHECK FAILED: ${c.what}`);
  for (const bl of results.budgets) lines.push(bl.line);
  return lines.join("\n");
}

function budgets() {
  const sum = (name, k) => rows.filter((x) => x.row === name).reduce((a, r) => a + r[k], 0);
  const pcpu = sum("peer", "cpu_s") / sum("peer", "s2xx");
  const bcpu = sum("baton", "cpu_s") / sum("baton", "s2xx");
  if (Number.isFinite(pcpu) && Number.isFinite(bcpu)) {
    const ratio = bcpu / pcpu;
    const ok = ratio <= CPU_BUDGET;
    results.budgets.push({ ok, ratio, line: `BUDGET cpu ratio ${ratio.toFixed(2)} ${ok ? "≤" : ">"} ${CPU_BUDGET.toFixed(2)}: ${ok ? "within budget" : "over budget"} (baton ${f0(bcpu * 1e6)} µs vs peer ${f0(pcpu * 1e6)} µs per request, all of -c${CONNS.join("/-c")})` });
  }
  const l = results.latency;
  if (l) {
    const ok = l.p95_ms <= WEBHOOK_P95_BUDGET_MS && l.arrived === l.leads;
    const lost = l.leads - l.arrived;
    results.budgets.push({ ok, p95_ms: l.p95_ms, line: `BUDGET submit→webhook p95 ${l.p95_ms} ms ${l.p95_ms <= WEBHOOK_P95_BUDGET_MS ? "≤" : ">"} ${WEBHOOK_P95_BUDGET_MS} ms${lost ? `, but ${lost} of ${l.leads} leads never arrived` : ""}: ${ok ? "within budget" : "over budget"}` });
  }
}

async function main() {
  for (const f of [PEER_BODIES, BODIES, join(PEER, "intake-js", "wrangler.de.toml")]) {
    if (!existsSync(f)) throw new Error(`missing ${f}: run scripts/load.sh`);
  }
  results.versions = await versions();
  results.cores = (await readFile("/proc/cpuinfo", "utf8")).split("\n").filter((l) => l.startsWith("processor")).length;
  const t0 = Date.now();
  SNAPSHOT = await snapshot();
  const config = SNAPSHOT.intake;
  const only = (process.env.LOAD_ONLY ?? "peer,baton,noinsp,nosend,full").split(",");
  if (only.includes("peer")) await peerPhase();
  if (only.includes("baton")) await batonIntakePhase(config);
  if (PROFILE && only.includes("noinsp")) {
    await peerPhase({ inspector: false, conns: CONNS.slice(0, 1) });
    await batonIntakePhase(config, { inspector: false, conns: CONNS.slice(0, 1), evaluate: false });
  }
  if (PROFILE && only.includes("nosend")) await batonNoSendPhase();
  if (process.env.LOAD_CPUPROFILE === "1") await cpuProfilePhase(config);
  if (only.includes("full")) await batonDeliveryPhase();
  results.seconds = (Date.now() - t0) / 1000;
  budgets();
  await writeFile(OUT, JSON.stringify(results, null, 2));
  console.log(table());
  console.log(`(${f0(results.seconds)} s; every figure in ${OUT})`);
  const failedCheck = results.checks.some((c) => !c.ok);
  const missed = results.budgets.some((b) => !b.ok);
  if (failedCheck) process.exit(1);
  if (missed && process.env.BENCH_STRICT === "1") process.exit(3);
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(2);
});
