// The golden vectors (shared/tests/vectors/*.json) through the running
// Worker: the third target of the parity test, beside native and
// wasm-in-Chromium. Every vector goes to POST /v1/evaluate; "demo" vectors
// also go to POST /v1/leads, and what D1 stored must be the same decision.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT, startWorker, post } from "./support/worker.mjs";

const DIR = join(ROOT, "shared", "tests", "vectors");

function loadVectors() {
  if (!existsSync(DIR)) return [];
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...JSON.parse(readFileSync(join(DIR, file), "utf8")) }));
}

const vectors = loadVectors();
// `public` vectors evaluate the browser's copy; no endpoint serves that path
// (the widget's wasm tests cover it), so they are listed and left out here.
const runnable = vectors.filter((v) => !v.public);
const demo = runnable.filter((v) => v.playbook === "demo");

let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.stop();
});

describe("golden vectors through the Worker", () => {
  it("finds vectors to run", (t) => {
    assert.ok(existsSync(DIR), `${DIR} is missing`);
    assert.ok(vectors.length > 0, `no vectors in ${DIR}`);
    assert.ok(runnable.length > 0, "every vector is `public`: nothing runs through the Worker");
    const skipped = vectors.filter((v) => v.public).map((v) => v.name);
    t.diagnostic(
      `vectors: ${vectors.length} found, ${runnable.length} through /v1/evaluate, ` +
        `${demo.length} also through /v1/leads; public-copy vectors left to the widget: ${skipped.join(", ") || "none"}`,
    );
  });

  for (const v of runnable) {
    it(`evaluate: ${v.name}`, async () => {
      assert.equal(v.file, `${v.name}.json`, "a vector's name is its file name");
      assert.ok(v.expect, `${v.file} has no expect (bless it: see shared/tests/vectors/README.md)`);
      const ask = v.playbook === "demo"
        ? { form: "demo", submission: v.submission }
        : { playbook: v.playbook, submission: v.submission };
      const res = await post(`${w.url}/v1/evaluate`, ask);
      assert.equal(res.status, 200, res.text);
      assert.deepStrictEqual(res.body.decision, v.expect);
    });
  }

  for (const v of demo) {
    it(`lead: ${v.name}`, async () => {
      // Claim exactly the expected verdict: the edge must agree with it.
      const e = v.expect;
      const claimed = { version: e.version, score: e.score, grade: e.grade, qualified: e.qualified, provisional: e.provisional };
      const body = { v: 1, form: "demo", submission: v.submission, claimed };
      const res = await post(`${w.url}/v1/leads`, body);
      let stored;
      if (e.valid) {
        assert.equal(res.status, 201, res.text);
        // The page is answered the verdict in brief; D1 holds all of it (below).
        const brief = {
          version: e.version,
          score: e.score,
          grade: e.grade,
          qualified: e.qualified,
          knocked_out: e.knocked_out !== null,
          sla_minutes: e.sla_minutes,
          route: e.route && { route: e.route.route, team: e.route.team ?? null, team_name: e.route.team_name ?? null },
        };
        assert.deepStrictEqual(res.body.decision, brief);
        assert.equal(res.body.agreement, "match");
        stored = await w.sql(`select status, decision, agreement from leads where id = '${res.body.lead_id}'`);
        assert.equal(stored[0]?.status, "accepted");
      } else {
        assert.equal(res.status, 422, res.text);
        assert.deepStrictEqual(res.body.error.fields, e.field_errors);
        const raw = JSON.stringify(body).replaceAll("'", "''");
        stored = await w.sql(`select status, decision, agreement from leads where submission = '${raw}'`);
        assert.ok(stored.length >= 1, "the invalid submission is stored");
        assert.equal(stored[0].status, "invalid");
      }
      assert.deepStrictEqual(JSON.parse(stored[0].decision), e, "D1 holds the same decision");
      assert.equal(stored[0].agreement, "match");
    });
  }
});
