#!/usr/bin/env node
// The sales side for the demo: what a rep sees when Baton delivers a lead.
//
//   node scripts/demo-receiver.mjs [--port 8788] [--host 127.0.0.1] [--dev-vars .dev.vars]
//
// Reads the dotenv-style .dev.vars the Worker runs with, and for every
// WEBHOOK_URL_X=http://…/hooks/NAME takes WEBHOOK_SECRET_X as NAME's secret, so
// the signatures it shows as verified are checked against the same secrets the
// Worker signs with. Slack messages sent to http://…/slack/NAME are shown too.
// Open the printed address in a browser; it updates live. Ctrl-C stops it.

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseDotenv, secretsFromVars, startReceiver } from "../tests/support/receiver.mjs";

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    "usage: node scripts/demo-receiver.mjs [--port 8788] [--host 127.0.0.1] [--dev-vars .dev.vars]\n",
  );
  process.exit(code);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      port: { type: "string", default: "8788" },
      host: { type: "string", default: "127.0.0.1" },
      "dev-vars": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (e) {
  process.stderr.write(`demo receiver: ${e.message}\n`);
  usage(2);
}
if (opts.help) usage(0);

const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`demo receiver: --port must be 0..65535, not ${opts.port}\n`);
  process.exit(2);
}

// An explicit --dev-vars must exist; the default one may be missing (no secrets then).
const devVars = resolve(opts["dev-vars"] ?? ".dev.vars");
let vars = {};
try {
  vars = parseDotenv(await readFile(devVars, "utf8"));
} catch (e) {
  if (opts["dev-vars"] !== undefined || e.code !== "ENOENT") {
    process.stderr.write(`demo receiver: cannot read ${devVars}: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`demo receiver: no ${devVars}; webhooks will all show "signature INVALID"\n`);
}
const secrets = secretsFromVars(vars);
const count = Object.keys(secrets).length;

let receiver;
try {
  receiver = await startReceiver({ port, host: opts.host, secrets });
} catch (e) {
  process.stderr.write(`demo receiver: cannot listen on ${opts.host}:${port}: ${e.message}\n`);
  process.exit(1);
}
process.stdout.write(`demo receiver: ${receiver.url}/ (${count} webhook secret${count === 1 ? "" : "s"})\n`);
for (const name of Object.keys(secrets).sort()) process.stdout.write(`  webhook: ${receiver.url}/hooks/${encodeURIComponent(name)}\n`);
for (const [k, v] of Object.entries(vars)) {
  if (/\/slack\/[^/?#]+/.test(v)) process.stdout.write(`  slack:   ${v} (${k})\n`);
}

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`demo receiver: ${signal}, stopping\n`);
  const force = setTimeout(() => process.exit(0), 2000);
  force.unref();
  await receiver.stop();
  process.exit(0);
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
