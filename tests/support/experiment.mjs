// The demo's playbook experiment (icp.toml `[experiment]`), and a visitor's
// bucket computed here in JavaScript, independently of the Rust in
// shared/src/experiment.rs: FNV-1a 64 over `experiment \0 visitor`, then
// MurmurHash3's fmix64, modulo 100. The Worker and the widget must agree
// with this for every visitor.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT } from "./worker.mjs";

const M = (1n << 64n) - 1n;

/** The visitor's bucket (0-99) in `experiment`. */
export function bucket(experiment, visitor) {
  let h = 0xcbf29ce484222325n;
  for (const b of [...Buffer.from(experiment, "utf8"), 0, ...Buffer.from(visitor, "utf8")]) {
    h = ((h ^ BigInt(b)) * 0x100000001b3n) & M;
  }
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & M;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & M;
  h ^= h >> 33n;
  return Number(h % 100n);
}

/** icp.toml's `[experiment]`: {id, variant, share}. */
export function demoExperiment() {
  const toml = readFileSync(join(ROOT, "icp.toml"), "utf8");
  const section = toml.match(/^\[experiment\]\n([\s\S]*?)(?:\n\[|\n# -{10})/m)?.[1] ?? "";
  const get = (k) => section.match(new RegExp(`^${k}\\s*=\\s*"?([^"\\n]+)"?`, "m"))?.[1];
  return { id: get("id"), variant: get("variant"), share: Number(get("share") ?? 50) };
}

/** The `n`-th deterministic visitor id whose arm is the variant (or the control). */
export function visitorIn(arm, n = 0, { id, share } = demoExperiment()) {
  for (let i = 0, found = 0; ; i++) {
    const v = `e2e-visitor-${String(i).padStart(6, "0")}`;
    if ((bucket(id, v) < share) === (arm === "variant") && found++ === n) return v;
  }
}
