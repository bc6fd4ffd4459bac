#!/usr/bin/env node
// Writes the Worker's local secrets (.dev.vars, what `wrangler dev` reads in
// place of `wrangler secret put`) for every `env:NAME` the playbook names,
// pointing each channel at the demo receiver on loopback:
//   WEBHOOK_URL_<X>    -> http://127.0.0.1:<port>/hooks/<x>
//   WEBHOOK_SECRET_<X> -> a fresh whsec_ secret (Standard Webhooks)
//   SLACK_URL_<X>      -> http://127.0.0.1:<port>/slack/<x>
// plus ADMIN_TOKEN for the admin API and LINK_SECRET for feedback links. Values already in the file are kept,
// so secrets stay stable across runs.
// Usage: node scripts/dev-vars.mjs [--playbook icp.toml] [--out .dev.vars] [--port 8788]
//        node scripts/dev-vars.mjs --print ...   (to stdout, nothing written)
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { randomBytes } from "node:crypto";

export function names(toml) {
  const out = new Set();
  for (const m of toml.matchAll(/"env:([A-Z_][A-Z0-9_]*)"/g)) out.add(m[1]);
  return [...out];
}

export function valueFor(name, port) {
  const base = `http://127.0.0.1:${port}`;
  const tail = (prefix) => name.slice(prefix.length).toLowerCase().replaceAll("_", "-");
  if (name.startsWith("WEBHOOK_URL_")) return `${base}/hooks/${tail("WEBHOOK_URL_")}`;
  if (name.startsWith("SLACK_URL_")) return `${base}/slack/${tail("SLACK_URL_")}`;
  if (name.includes("SECRET")) return `whsec_${randomBytes(32).toString("base64")}`;
  return `${base}/hooks/${name.toLowerCase().replaceAll("_", "-")}`;
}

/** Every variable the playbook names, plus ADMIN_TOKEN, as an object. */
export function devVars(toml, port, keep = {}) {
  const vars = {};
  for (const n of names(toml)) vars[n] = keep[n] ?? valueFor(n, port);
  vars.ADMIN_TOKEN = keep.ADMIN_TOKEN ?? randomBytes(24).toString("base64url");
  // Signs the feedback links in every delivery (edge/src/feedback.rs).
  vars.LINK_SECRET = keep.LINK_SECRET ?? randomBytes(32).toString("base64url");
  return vars;
}

export function parse(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"?(.*?)"?\s*$/);
    if (m && !line.trimStart().startsWith("#")) out[m[1]] = m[2];
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag, fallback) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const playbook = arg("--playbook", "icp.toml");
  const out = arg("--out", ".dev.vars");
  const port = Number(arg("--port", "8788"));
  const keep = existsSync(out) ? parse(readFileSync(out, "utf8")) : {};
  // Channels now point at this port: keep secrets, not stale addresses.
  for (const k of Object.keys(keep)) if (k.includes("_URL_")) delete keep[k];
  const vars = devVars(readFileSync(playbook, "utf8"), port, keep);
  const text = "# Local secrets for `wrangler dev` (scripts/dev-vars.mjs). Never commit.\n" +
    Object.entries(vars).map(([k, v]) => `${k}="${v}"`).join("\n") + "\n";
  if (process.argv.includes("--print")) process.stdout.write(text);
  else writeFileSync(out, text, { mode: 0o600 });
}
