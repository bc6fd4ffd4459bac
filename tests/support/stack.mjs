// The Worker with the sales side behind it, as scripts/run.sh runs them: a
// receiver on loopback that takes every rep's webhook and team's Slack
// (support/receiver.mjs), and the Worker pointed at it with the dev vars
// (scripts/dev-vars.mjs) plus `extra`.

import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { ROOT, startWorker } from "./worker.mjs";
import { startReceiver, secretsFromVars } from "./receiver.mjs";
import { devVars } from "../../scripts/dev-vars.mjs";

/** @returns {Promise<{rx, w, vars}>} stop both with `w.stop()` and `rx.stop()`. */
export async function startWithReceiver(extra = {}, { scheduled = false } = {}) {
  // The receiver reads its secrets on every request: filled in once its port,
  // and so every channel's URL, is known.
  const secrets = {};
  const rx = await startReceiver({ secrets });
  const vars = { ...devVars(await readFile(join(ROOT, "icp.toml"), "utf8"), rx.port), ...extra };
  Object.assign(secrets, secretsFromVars(vars));
  const w = await startWorker({ vars, scheduled });
  return { rx, w, vars };
}
