// `wrangler dev` without its DevTools inspector, for the "inspector off"
// rows of scripts/load.sh: the CLI always attaches wrangler's inspector
// proxy to the Worker's runtime and enables the Network domain, so workerd
// reports every subrequest (each D1 query, Durable Object call and queue
// send, bodies included) over the inspector, and CPU per request grows with
// the number of subrequests. wrangler's own API (`unstable_startWorker`, the
// same DevEnv, Miniflare and workerd the CLI uses) takes `inspector: false`.
//
// node bench/load/start-worker.mjs --config FILE --port N --persist-to DIR [--test-scheduled] [--var K:V ...]
// Runs until SIGTERM.

import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const require = createRequire(join(resolve(import.meta.dirname, "..", ".."), "package.json"));
const { unstable_startWorker } = require("wrangler");

const args = process.argv.slice(2);
const one = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const bindings = {};
args.forEach((a, i) => {
  if (a !== "--var") return;
  const v = args[i + 1];
  const at = v.indexOf(":");
  bindings[v.slice(0, at)] = { type: "plain_text", value: v.slice(at + 1) };
});

const worker = await unstable_startWorker({
  config: resolve(one("--config") ?? "wrangler.toml"),
  bindings,
  dev: {
    inspector: false,
    server: { hostname: "127.0.0.1", port: Number(one("--port")) },
    persist: resolve(one("--persist-to")),
    logLevel: "warn",
    watch: false,
    testScheduled: args.includes("--test-scheduled"),
  },
});
await worker.ready;
console.log(`ready on ${(await worker.url).href}`);
const stop = async () => {
  await worker.dispose().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
