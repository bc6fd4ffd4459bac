// Nothing personal in the logs: every Worker of this test run wrote its
// output to target/e2e-logs/ (support/worker.mjs), and this file, named to
// run last, reads all of it. The tests posted hundreds of leads (emails,
// names, phone numbers, hostile text); the Worker may log lead ids, never
// what a person typed. Run alone, it reads whatever the last run left.
//
// wrangler dev's own request lines (`[wrangler:info] DELETE /v1/people/…`)
// are left out: they are the local proxy's access log, as Cloudflare's
// request logs are the platform's, and an erasure request names its person
// in the URL (README, "Privacy and abuse").

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { LOG_DIR } from "./support/worker.mjs";

// What the test leads carry (support/leads.mjs and the tests' own), and any
// email address at all: reps' addresses are never logged either.
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
const PERSONAL = ["Kim Berger", "+49 30 1234567", "Acme Industrial", "Small Bakery", "VP Revenue"];

describe("the Worker's logs over the whole test run", () => {
  it("hold no email address, name, phone number or company a visitor typed", () => {
    assert.ok(existsSync(LOG_DIR), `no logs at ${LOG_DIR}: run the end-to-end tests first`);
    const files = readdirSync(LOG_DIR).filter((f) => f.endsWith(".log"));
    assert.ok(files.length >= 1, "no Worker wrote a log");
    let lines = 0;
    const found = [];
    for (const f of files) {
      for (const line of readFileSync(join(LOG_DIR, f), "utf8").split("\n")) {
        if (/^\[wrangler:info\] [A-Z]+ \//.test(line)) continue;
        lines += 1;
        const hit = line.match(EMAIL)?.[0] ?? PERSONAL.find((p) => line.includes(p));
        if (hit) found.push(`${f}: ${hit} in: ${line.slice(0, 200)}`);
      }
    }
    console.log(`# read ${lines} log lines of ${files.length} Workers`);
    assert.deepEqual(found, [], "personal data in the logs");
  });
});
