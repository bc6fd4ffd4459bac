// The API against its own description, checked by an independent tool:
// Schemathesis reads the OpenAPI document the Worker serves (/openapi.json)
// and sends what it generates from it (valid and invalid bodies, headers,
// methods the document does not list) to the real Worker on workerd. Every
// answer must be below 500, have the documented status, content type,
// headers and schema; invalid input must be refused with a 4xx, and a
// method a path does not take with 405 and `Allow`.
//
// The Worker gets an admin token and Schemathesis gets it too, through the
// document's `adminToken` security scheme (tests/schemathesis.toml), so the
// admin read API is fuzzed past its 401s: lists of leads, and each lead the
// fuzzer posted, read back through the 201's link. Schemathesis also sends
// those operations without the token (`ignored_auth`): they must refuse.
//
// Bounded and repeatable: SCHEMATHESIS_EXAMPLES per operation (default 40)
// from a fixed seed (SCHEMATHESIS_SEED). Schemathesis comes from
// scripts/setup.sh (target/py).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ROOT, startWorker } from "./support/worker.mjs";

const ST = join(ROOT, "target", "py", "bin", "st");
const EXAMPLES = process.env.SCHEMATHESIS_EXAMPLES ?? "40";
const SEED = process.env.SCHEMATHESIS_SEED ?? "1";
const ADMIN_TOKEN = "openapi-test-admin-token";

let w;
let reports;
before(async () => {
  w = await startWorker({ vars: { ADMIN_TOKEN } });
  reports = await mkdtemp(join(tmpdir(), "baton-schemathesis-"));
});
after(async () => {
  await w?.stop();
  if (reports) await rm(reports, { recursive: true, force: true });
});

function run(cmd, args, env = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", fail);
    child.once("exit", (code) => ok({ code, out }));
  });
}

describe("the OpenAPI document", () => {
  it("is served at /openapi.json, as committed", async () => {
    const res = await fetch(`${w.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /json/);
    const served = await res.json();
    const committed = JSON.parse(await readFile(join(ROOT, "www", "openapi.json"), "utf8"));
    assert.deepEqual(served, committed);
    assert.equal(served.openapi, "3.1.0");
  });

  it("holds for everything Schemathesis generates from it", { timeout: 600_000 }, async () => {
    const har = join(reports, "run.har");
    const { code, out } = await run(ST, [
      "--config-file", join(ROOT, "tests", "schemathesis.toml"),
      "run", `${w.url}/openapi.json`,
      "--url", w.url,
      "--checks", "all",
      "--max-examples", EXAMPLES,
      "--seed", SEED,
      "--workers", "1",
      "--continue-on-failure",
      "--warnings", "off",
      "--report", "har",
      "--report-har-path", har,
    ], { BATON_ADMIN_TOKEN: ADMIN_TOKEN });
    const summary = out.split("\n").filter((l) => /passed|failed|error|generated/i.test(l)).slice(-6).join("\n");
    console.log(summary);
    assert.equal(code, 0, `Schemathesis found failures (seed ${SEED}):\n${out}`);
    // It reached the API's logic, not only its refusals: the demo lead of the
    // document's example was taken.
    const [{ n }] = await w.sql("select count(*) as n from leads where status = 'accepted'");
    assert.ok(n >= 1, "no lead was accepted: the document's example did not reach the Worker's logic");
    // And the admin API past its token check: a list, and a lead read back.
    const answered = JSON.parse(await readFile(har, "utf8")).log.entries.map((e) => ({
      method: e.request.method,
      path: new URL(e.request.url).pathname,
      status: e.response.status,
    }));
    const got = (re, status) => answered.some((a) => a.method === "GET" && re.test(a.path) && a.status === status);
    assert.ok(got(/^\/v1\/leads$/, 200), "no list of leads was answered 200");
    assert.ok(got(/^\/v1\/leads\/[^/]+$/, 200), "no lead was read back (200)");
    assert.ok(got(/^\/v1\/leads\/[^/]+$/, 404), "no unknown lead was answered 404");
    assert.ok(got(/^\/v1\/leads$/, 401), "the token was never left out");
  });
});
