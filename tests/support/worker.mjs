// Starts the real Worker on workerd (`wrangler dev`) with its own fresh state
// directory (D1 migrations applied first), and queries its local D1.
// Each test file gets its own Worker, so "nothing was stored" is provable.

import { spawn, execFile } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { mkdtemp, rm, access, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";

import { devVars } from "../../scripts/dev-vars.mjs";

export const ROOT = resolve(import.meta.dirname, "..", "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
/** Where every Worker of a test run writes its output (scripts/e2e.sh empties it first). */
export const LOG_DIR = join(ROOT, "target", "e2e-logs");
const ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  // wrangler dev must not try to open a browser or ask questions.
  CI: "true",
};
const run = promisify(execFile);

/** A free loopback TCP port. */
export function freePort() {
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

async function wrangler(args, timeout = 60_000) {
  const { stdout } = await run(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: ENV,
    timeout,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Starts the Worker. Resolves once `GET /v1/health` answers 200.
 * `vars` become the Worker's vars and secrets (`--var`: channel URLs and
 * signing secrets, ADMIN_TOKEN, RETRY_SCHEDULE...); every `env:NAME` the
 * playbook names that `vars` leaves out is pointed at a port nobody listens
 * on, so a developer's .dev.vars (the demo's) never leaks into a test.
 * `scheduled` lets the test fire the cron trigger (`scheduled()`).
 * @returns {{url: string, port: number, state: string, log: () => string,
 *            sql: (q: string) => Promise<object[]>, scheduled: () => Promise<void>,
 *            stop: () => Promise<void>}}
 */
export async function startWorker({ vars = {}, scheduled = false } = {}) {
  await access(join(ROOT, "edge", "build", "index.js")).catch(() => {
    throw new Error("the Worker is not built: run scripts/build-edge.sh (scripts/e2e.sh does)");
  });
  const state = await mkdtemp(join(tmpdir(), "baton-e2e-"));
  await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
  const port = await freePort();
  const all = { ...devVars(await readFile(join(ROOT, "icp.toml"), "utf8"), await freePort()), ...vars };
  const varArgs = Object.entries(all).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn(
    process.execPath,
    [WRANGLER, "dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state,
      "--show-interactive-dev-session=false", "--log-level", process.env.BATON_E2E_LOG_LEVEL ?? "log",
      ...(scheduled ? ["--test-scheduled"] : []), ...varArgs],
    // Own process group, so stop() ends wrangler and the workerd it started.
    { cwd: ROOT, env: ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  // If the test process dies without stop(), do not leave workerd behind.
  const reap = () => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } };
  process.once("exit", reap);
  let output = "";
  // Every Worker's output of the run also lands in target/e2e-logs/, which
  // tests/zz-logs.test.mjs reads last: nothing personal may be in it.
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${basename(process.argv[1] ?? "node")}-${port}.log`);
  const keep = (d) => {
    output += d;
    appendFileSync(logFile, d);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((ok) => child.once("exit", (code) => ok(code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let up = false;
  while (Date.now() < deadline) {
    const code = await Promise.race([exited, new Promise((ok) => setTimeout(() => ok(undefined), 250))]);
    if (code !== undefined) throw new Error(`wrangler dev exited with ${code}:\n${output}`);
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.status === 200) {
        up = true;
        break;
      }
    } catch {
      // not listening yet
    }
  }
  if (!up) {
    try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
    throw new Error(`the Worker did not answer /v1/health within 60 s:\n${output}`);
  }

  return {
    url,
    port,
    state,
    log: () => output,
    /** Rows of a query against the Worker's local D1. */
    async sql(query) {
      // This is a second process on the Worker's SQLite file. While the
      // Worker writes (the queue consumer logs attempts at its own pace) the
      // file can be locked for a moment, so a busy read is tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", query]);
          return JSON.parse(out)[0].results;
        } catch (e) {
          if (attempt >= 8 || !/SQLITE_BUSY|database is locked/.test(String(e.message))) throw e;
          await new Promise((ok) => setTimeout(ok, 100 * attempt));
        }
      }
    },
    /** Fires the cron trigger once (the outbox's sweeper), as Cloudflare would. */
    async scheduled() {
      const res = await fetch(`${url}/__scheduled?cron=*+*+*+*+*`);
      if (!res.ok) throw new Error(`/__scheduled answered ${res.status}: ${await res.text()}`);
    },
    async stop() {
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } }, 5_000);
      await exited;
      clearTimeout(timer);
      process.off("exit", reap);
      await rm(state, { recursive: true, force: true });
    },
  };
}

/** POSTs JSON (or a raw string) and returns {status, headers, body}. */
export async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, body: json, text };
}
