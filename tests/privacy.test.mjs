// People's data, on the real Worker with its local D1 and a real receiver:
// erasure on request (`DELETE /v1/people/{email}`) removes a person from
// every table, checked table by table and by reading every row for their
// address; retention (`privacy.retain_days`) purges old leads on the
// scheduled run, and idempotency keys are cleared once retries are over.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { post } from "./support/worker.mjs";
import { startWithReceiver } from "./support/stack.mjs";
import { until } from "./support/browser.mjs";
import { bakery, emeaVp, leadPost } from "./support/leads.mjs";

let rx;
let w;
let vars;
before(async () => {
  ({ rx, w, vars } = await startWithReceiver({ SWEEP_AFTER_SECONDS: "1" }, { scheduled: true }));
});
after(async () => {
  await w?.stop();
  await rx?.stop();
});

const admin = () => ({ authorization: `Bearer ${vars.ADMIN_TOKEN}` });
const ORIGIN = { origin: "http://localhost:8787" };
// Every table a lead or its deliveries leave rows in.
const TABLES = ["leads", "deliveries", "delivery_attempts", "outcomes", "sla_breaches"];

async function lead(submission, headers = {}) {
  const res = await post(`${w.url}/v1/leads`, leadPost(submission), { ...ORIGIN, ...headers });
  assert.equal(res.status, 201, res.text);
  return res.body.lead_id;
}

/** Every row of every table that mentions `text` (the person's address, say). */
async function rowsMentioning(text) {
  const hits = [];
  for (const t of [...TABLES, "turns", "disabled_channels"]) {
    for (const row of await w.sql(`select * from ${t}`)) {
      if (JSON.stringify(row).toLowerCase().includes(text.toLowerCase())) hits.push(`${t}: ${JSON.stringify(row).slice(0, 120)}`);
    }
  }
  return hits;
}

async function rowsOf(ids) {
  const list = ids.map((i) => `'${i}'`).join(",");
  return {
    leads: (await w.sql(`select id from leads where id in (${list})`)).length,
    deliveries: (await w.sql(`select id from deliveries where lead_id in (${list})`)).length,
    delivery_attempts: (await w.sql(`select a.delivery_id from delivery_attempts a join deliveries d on d.id = a.delivery_id where d.lead_id in (${list})`)).length,
    outcomes: (await w.sql(`select lead_id from outcomes where lead_id in (${list})`)).length,
    sla_breaches: (await w.sql(`select lead_id from sla_breaches where lead_id in (${list})`)).length,
  };
}

describe("DELETE /v1/people/{email}", () => {
  it("erases a person from every table, and answers what it erased", async () => {
    const email = `Ana.Erase.${process.pid}@acme-industrial.de`;
    // Two leads of the same person (the second a new touch), delivered to
    // their rep, one with an outcome; and someone else's lead, to keep.
    const first = await lead(emeaVp({ email }));
    const second = await lead(emeaVp({ email: `  ${email.toUpperCase()} `, phone: "+49 30 1234567" }));
    const other = await lead(bakery());
    const outcome = await post(`${w.url}/v1/leads/${first}/outcomes`, { action: "accepted", by: "ana" }, admin());
    assert.equal(outcome.status, 201, outcome.text);
    await until("the deliveries to be made", async () =>
      (await w.sql(`select count(*) as n from deliveries where lead_id in ('${first}', '${second}') and status = 'delivered'`))[0].n >= 2, 30_000);
    const before = await rowsOf([first, second]);
    assert.equal(before.leads, 2);
    assert.ok(before.deliveries >= 2 && before.delivery_attempts >= 2 && before.outcomes === 1, JSON.stringify(before));
    assert.ok((await rowsMentioning(email)).length > 0, "the address is stored before");

    const res = await fetch(`${w.url}/v1/people/${encodeURIComponent(email)}`, { method: "DELETE", headers: admin() });
    assert.equal(res.status, 200, await res.clone().text());
    const erased = await res.json();
    assert.equal(erased.email, email.toLowerCase());
    assert.deepEqual(erased.lead_ids, [first, second].sort());
    assert.deepEqual(erased.rows, before, "the answer counts what was there");

    // Table by table: nothing of theirs is left, and no row mentions them.
    assert.deepEqual(await rowsOf([first, second]), { leads: 0, deliveries: 0, delivery_attempts: 0, outcomes: 0, sla_breaches: 0 });
    assert.deepEqual(await rowsMentioning(email), []);
    assert.deepEqual(await rowsMentioning("+49 30 1234567"), []);
    assert.equal((await w.sql(`select id from leads where id = '${other}'`)).length, 1, "someone else's lead stays");
    assert.equal((await fetch(`${w.url}/v1/leads/${first}`, { headers: admin() })).status, 404);
    // The log names the leads, never the address.
    await until("the erasure to be logged", () => w.log().includes(`erasure: 2 lead(s) erased`));
    assert.ok(!w.log().toLowerCase().includes(email.toLowerCase()));

    // Again: nothing left to erase, and that is an answer, not an error.
    const again = await fetch(`${w.url}/v1/people/${encodeURIComponent(email)}`, { method: "DELETE", headers: admin() });
    assert.equal(again.status, 200);
    assert.deepEqual((await again.json()).lead_ids, []);
  });

  it("refuses without the admin token, or without an address", async () => {
    const path = `${w.url}/v1/people/${encodeURIComponent("kim@example.com")}`;
    assert.equal((await fetch(path, { method: "DELETE" })).status, 401);
    assert.equal((await fetch(path, { method: "DELETE", headers: { authorization: "Bearer nope" } })).status, 403);
    const bad = await fetch(`${w.url}/v1/people/not-an-address`, { method: "DELETE", headers: admin() });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /email address/);
    const get = await fetch(path, { headers: admin() });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "DELETE, OPTIONS");
  });
});

describe("the consent record", () => {
  it("keeps the exact words shown, their SHA-256, the locale, the playbook version and the time", async () => {
    const copy = await (await fetch(`${w.url}/v1/forms/demo`)).json();
    const label = copy.fields.find((f) => f.id === "consent").label;
    const submission = emeaVp();
    submission.locale = "de-AT";
    const id = await lead(submission);
    const record = await (await fetch(`${w.url}/v1/leads/${id}`, { headers: admin() })).json();
    const [c] = record.consents;
    assert.equal(record.consents.length, 1, "one consent field, one record");
    assert.equal(c.field, "consent");
    assert.equal(c.granted, true);
    assert.equal(c.locale, "de");
    assert.equal(c.text, label.de, "the German words the visitor saw");
    assert.equal(c.text_sha256, createHash("sha256").update(c.text, "utf8").digest("hex"));
    assert.equal(c.playbook_version, copy.published.version);
    assert.equal(c.at, record.created_at);
    // Without the required consent: refused with a field error (and kept as an invalid lead).
    const refused = await post(`${w.url}/v1/leads`, leadPost(emeaVp({ consent: false })), ORIGIN);
    assert.equal(refused.status, 422);
    assert.deepEqual(refused.body.error.fields.map((f) => [f.field, f.code]), [["consent", "must_accept"]]);
  });
});

describe("retention", () => {
  it("erases leads older than privacy.retain_days on the scheduled run, and clears spent idempotency keys", async () => {
    const old = await lead(bakery());
    const recent = await lead(bakery(), { "idempotency-key": `recent-${process.pid}` });
    const keyed = await lead(bakery(), { "idempotency-key": `old-key-${process.pid}` });
    await until("the deliveries to be made", async () =>
      (await w.sql(`select count(*) as n from deliveries where lead_id = '${old}' and status = 'delivered'`))[0].n >= 1, 30_000);
    // icp.toml keeps leads 730 days: one of 731 days ago, a key of 9 days ago.
    const days = (n) => new Date(Date.now() - n * 86_400_000).toISOString();
    await w.sql(`update leads set created_at = '${days(731)}' where id = '${old}'`);
    await w.sql(`update leads set created_at = '${days(9)}' where id = '${keyed}'`);
    await w.scheduled();
    await until("the old lead to be erased", async () => (await rowsOf([old])).leads === 0, 15_000);
    assert.deepEqual(await rowsOf([old]), { leads: 0, deliveries: 0, delivery_attempts: 0, outcomes: 0, sla_breaches: 0 });
    const [r] = await w.sql(`select idempotency_key from leads where id = '${recent}'`);
    assert.equal(r.idempotency_key, `recent-${process.pid}`, "a key still in use stays");
    const [k] = await w.sql(`select idempotency_key from leads where id = '${keyed}'`);
    assert.equal(k.idempotency_key, null, "a key past the widget's retries is cleared; the lead stays");
    assert.ok(w.log().includes("retention: 1 lead(s) of form demo older than 730 days erased"), w.log().slice(-2000));
  });
});
