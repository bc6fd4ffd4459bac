// A V8 CPU profile of a Worker under `wrangler dev --inspector-port N`,
// through wrangler's inspector proxy (Chrome DevTools Protocol over
// WebSocket): where the Worker's own JavaScript and wasm spend their time,
// by function, with no change to its code. The sampler is V8's: it sees the
// isolate's thread only (what workerd does in C++ for D1, queues, HTTP
// outside any JS frame is "(program)" or not sampled at all).
//
//   const p = await startProfile(inspectorPort); ...load...; const top = await p.stop();

import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const require = createRequire(join(resolve(import.meta.dirname, "..", ".."), "package.json"));
const WebSocket = require("ws");

export async function startProfile(port, { intervalUs = 200 } = {}) {
  const list = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const url = list[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on ${port}`);
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => { ws.once("open", ok); ws.once("error", fail); });
  let seq = 0;
  const waiting = new Map();
  ws.on("message", (m) => {
    const msg = JSON.parse(m.toString());
    if (msg.id && waiting.has(msg.id)) {
      const { ok, fail } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) fail(new Error(`${msg.error.message}`));
      else ok(msg.result);
    }
  });
  const send = (method, params = {}) => new Promise((ok, fail) => {
    const id = ++seq;
    waiting.set(id, { ok, fail });
    ws.send(JSON.stringify({ id, method, params }));
  });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: intervalUs });
  await send("Profiler.start");
  return {
    async stop() {
      const { profile } = await send("Profiler.stop");
      ws.close();
      return summarize(profile);
    },
  };
}

// Wasm function names as V8 shows them: `$_ZN...` mangled Rust or plain
// `name`; strip hashes so one function is one row.
function clean(name) {
  let n = name || "(anonymous)";
  n = n.replace(/^\$/, "");
  const m = /^_ZN(.*)E$/.exec(n);
  if (m) {
    const parts = [];
    let s = m[1];
    while (s.length) {
      const len = /^(\d+)/.exec(s);
      if (!len) break;
      const l = Number(len[1]);
      parts.push(s.slice(len[1].length, len[1].length + l));
      s = s.slice(len[1].length + l);
    }
    if (parts.length && /^h[0-9a-f]{16}$/.test(parts.at(-1))) parts.pop();
    n = parts.join("::").replace(/\$LT\$/g, "<").replace(/\$GT\$/g, ">").replace(/\$u20\$/g, " ").replace(/\$C\$/g, ",").replace(/\.\./g, "::").replace(/\$RF\$/g, "&");
  }
  return n.replace(/::h[0-9a-f]{16}$/, "");
}

/** Self time by function, and by crate (the first path segment of Rust names). */
export function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const total = [...dt.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const crate = new Map();
  for (const [id, us] of dt) {
    const n = byId.get(id);
    const name = clean(n.callFrame.functionName);
    const where = n.callFrame.url ? ` (${n.callFrame.url.split("/").pop()})` : "";
    const key = name + (name.includes("::") ? "" : where);
    fn.set(key, (fn.get(key) ?? 0) + us);
    const c = name.startsWith("(") ? name : name.includes("::") ? name.split("::")[0].replace(/^<+/, "") : `js${where}`;
    crate.set(c, (crate.get(c) ?? 0) + us);
  }
  // Inclusive ("total") time: each sample credits every distinct function on its stack once.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const name = clean(n.callFrame.functionName);
    return name + (name.includes("::") || !n.callFrame.url ? "" : ` (${n.callFrame.url.split("/").pop()})`);
  };
  const inclusive = new Map();
  let busy = 0;
  for (const [id, us] of dt) {
    const leaf = byId.get(id).callFrame.functionName;
    if (leaf === "(idle)" || leaf === "(program)" || leaf === "(garbage collector)") continue;
    busy += us;
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n.callFrame.functionName === "(root)") break;
      const k = keyOf(n);
      if (!seen.has(k)) { seen.add(k); inclusive.set(k, (inclusive.get(k) ?? 0) + us); }
    }
  }
  const top = (m, k, of = total) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => ({ name, ms: us / 1000, share: us / of }));
  const idle = (dt.size && [...dt].filter(([id]) => byId.get(id).callFrame.functionName === "(idle)").reduce((a, [, us]) => a + us, 0)) || 0;
  return {
    total_ms: total / 1000, idle_ms: idle / 1000, busy_ms: busy / 1000,
    functions: top(fn, 25), crates: top(crate, 15),
    inclusive: top(new Map([...inclusive].filter(([k]) => k.includes("::"))), 30, busy),
  };
}
