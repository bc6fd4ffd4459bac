// The API against its own description, checked by an independent tool:
// Schemathesis reads the OpenAPI document the Worker serves (/openapi.json)
// and sends what it generates from it (valid and invalid bodies, headers,
// methods the document does not list) to the real Worker on workerd. Every
// answer must be below 500, have the documented status, content type,
// headers and schema; invalid input must be refused with a 4xx, and a
// method a path does not take with 405 and `Allow`.
//
// Bounded and repeatable: SCHEMATHESIS_EXAMPLES per operation (default 40)
// from a fixed seed (SCHEMATHESIS_SEED). Schemathesis comes from
// scripts/setup.sh (target/py).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { ROOT, startWorker } from "./support/worker.mjs";

const ST = join(ROOT, "target", "py", "bin", "st");
const EXAMPLES = process.env.SCHEMATHESIS_EXAMPLES ?? "40";
const SEED = process.env.SCHEMATHESIS_SEED ?? "1";

let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.stop();
});

function run(cmd, args) {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
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
    ]);
    const summary = out.split("\n").filter((l) => /passed|failed|error|generated/i.test(l)).slice(-6).join("\n");
    console.log(summary);
    assert.equal(code, 0, `Schemathesis found failures (seed ${SEED}):\n${out}`);
    // It reached the API's logic, not only its refusals: the demo lead of the
    // document's example was taken.
    const [{ n }] = await w.sql("select count(*) as n from leads where status = 'accepted'");
    assert.ok(n >= 1, "no lead was accepted: the document's example did not reach the Worker's logic");
  });
});
