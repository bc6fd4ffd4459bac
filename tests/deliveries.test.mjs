// Leads reaching their reps, on the real pieces: the Worker on workerd with
// local D1 and real Queues (producer, consumer, dead-letter queue), posting
// to a real HTTP receiver on loopback that verifies every Standard Webhooks
// signature with the independent `standardwebhooks` library and checks Slack
// messages against Slack's wire format. The receiver is told to fail (500,
// 429 with Retry-After, 410, slow, dropped connections) and the test asserts
// what sales would notice: every lead arrives, signed, once.
//
// BATON_DELIVERY_LEADS (default 200) sets the size of the flaky-receiver run;
// `BATON_DELIVERY_LEADS=2000 node --test tests/deliveries.test.mjs` is the full one.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { startWorker, post, ROOT } from "./support/worker.mjs";
import { startReceiver, secretsFromVars } from "./support/receiver.mjs";
import { bakery, emeaVp, leadPost, uniqueDomain } from "./support/leads.mjs";
import { devVars } from "../scripts/dev-vars.mjs";

const LEADS = Number(process.env.BATON_DELIVERY_LEADS ?? 200);
// Short waits, so a test sees a whole schedule: 4 attempts, 1 s apart.
const FAST = { RETRY_SCHEDULE: "1,1,1", SWEEP_AFTER_SECONDS: "1" };

let rx;
let w;
let vars;
before(async () => {
  // The receiver reads its secrets on every request: filled in once its port,
  // and so every channel's URL, is known.
  const secrets = {};
  rx = await startReceiver({ secrets });
  const toml = await readFile(join(ROOT, "icp.toml"), "utf8");
  vars = { ...devVars(toml, rx.port), ...FAST };
  Object.assign(secrets, secretsFromVars(vars));
  w = await startWorker({ vars, scheduled: true });
});
after(async () => {
  await w?.stop();
  await rx?.stop();
});

const admin = () => ({ authorization: `Bearer ${vars.ADMIN_TOKEN}` });
const webhooks = (pred = () => true) => rx.received.filter((r) => r.kind === "webhook" && pred(r));
const slacks = (pred = () => true) => rx.received.filter((r) => r.kind === "slack" && pred(r));
const leadOf = (r) => r.event?.data?.lead_id;
const sql = (q) => w.sql(q);

async function lead(submission, headers = {}) {
  const res = await post(`${w.url}/v1/leads`, leadPost(submission), headers);
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function pool(n, width, job) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await job(i);
    }
  }));
  return out;
}

describe("a lead reaches its rep", () => {
  it("as a signed webhook and a Slack message within a second, with everything a first call needs", async () => {
    rx.reset();
    const t0 = Date.now();
    const sub = emeaVp({ title: "VP Finance", interests: ["forecasting"] });
    sub.context = {
      page_url: "https://www.northwind.example/pricing?utm_source=g2",
      referrer: "https://www.g2.com/compare/northwind-vs-clari",
      utm: { source: "g2", medium: "referral", campaign: "northwind-vs-clari" },
      pages_seen: ["/", "/pricing", "/customers"],
      content_seen: ["/blog/forecast-accuracy"],
    };
    const { lead_id, assigned_rep } = await lead(sub);
    await rx.waitFor(() => webhooks((r) => leadOf(r) === lead_id).length === 1 && slacks().length === 1, 5_000);
    const elapsed = Date.now() - t0;
    const hook = webhooks((r) => leadOf(r) === lead_id)[0];
    assert.equal(hook.name, assigned_rep.id, "the picked rep's own endpoint");
    assert.equal(hook.verified, true, hook.error);
    assert.equal(hook.id, `msg_${lead_id}_0`);
    assert.ok(elapsed < 3_000, `delivered in ${elapsed} ms`);

    const { decision } = await (await fetch(`${w.url}/v1/leads/${lead_id}`, { headers: admin() })).json();
    const { type, data } = hook.event;
    assert.equal(type, "lead.qualified");
    assert.equal(data.v, 1);
    assert.equal(data.contact.email, sub.fields.email);
    assert.equal(data.contact.title, "VP Finance");
    assert.equal(data.score, decision.score);
    assert.equal(data.grade, "A");
    assert.deepEqual(data.reasons, decision.reasons, "every reason, with points and explanation");
    assert.equal(data.playbook_version, decision.version);
    assert.equal(data.route.route, "emea-enterprise");
    assert.ok(data.route.because.length > 0);
    assert.equal(data.rep.id, assigned_rep.id);
    assert.equal(data.sla.minutes, 15);
    assert.equal(Date.parse(data.sla.deadline) - Date.parse(data.created_at), 15 * 60_000);
    assert.deepEqual(data.context.utm, sub.context.utm);
    assert.equal(data.context.referrer, sub.context.referrer);
    assert.equal(data.context.page_url, sub.context.page_url);
    assert.deepEqual(data.context.pages_seen, sub.context.pages_seen);
    assert.equal(data.agreement, "unclaimed");
    assert.equal(data.touch, "new");
    const content = data.content.map((c) => c.id);
    assert.ok(content.includes("case-study-emea-mid-market"), content.join());
    assert.ok(content.includes("battle-card-comparison"), "came from a comparison on G2");
    assert.ok(content.includes("talk-track-forecasting"));
    assert.equal(data.lead_url, `${w.url}/v1/leads/${lead_id}`);

    const slack = slacks()[0];
    assert.equal(slack.name, "emea-enterprise", "the team's channel");
    assert.equal(slack.valid, true, slack.error);
    const text = JSON.stringify(slack.message);
    for (const bit of [sub.fields.company, "VP Finance", "*A*", "Follow up by", "Why this lead", "Open lead", "<!date^"]) {
      assert.ok(text.includes(bit), `the Slack message shows ${bit}`);
    }

    // The admin API shows the decision and both deliveries with their attempt
    // (settled a moment after the receiver answered).
    let record;
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${w.url}/v1/leads/${lead_id}`, { headers: admin() });
      assert.equal(res.status, 200);
      record = await res.json();
      if (record.delivery_status.delivered === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(record.id, lead_id);
    assert.deepEqual(record.decision.reasons, decision.reasons);
    assert.deepEqual(record.deliveries.map((d) => [d.channel, d.status, d.attempts.length]).sort(), [
      [`rep:${assigned_rep.id}:webhook`, "delivered", 1],
      ["team:emea-enterprise:slack", "delivered", 1],
    ]);
    assert.equal(record.delivery_status.delivered, 2);
  });

  it(`every one of ${LEADS} leads arrives, signed and once, while half of all first attempts fail`, { timeout: 120_000 + LEADS * 200 }, async () => {
    rx.reset();
    rx.control("*", { mode: "flaky", firstAttempts: 0.5, failures: ["500", "429", "drop", "slow"], ms: 1500, retryAfter: 1 });
    const made = await pool(LEADS, 8, (i) => lead(i % 4 === 3 ? bakery() : emeaVp()));
    const ids = new Set(made.map((m) => m.lead_id));
    const arrived = () => new Set(webhooks((r) => r.verified && typeof r.answered === "number" && r.answered < 300).map(leadOf));
    // Locally about 15 leads a second get through with half the first attempts failing.
    // The receiver runs in this process: a predicate that rescans every
    // record per lead would stall it, and the Worker would see timeouts.
    await rx.waitFor(() => {
      const got = arrived();
      return [...ids].every((id) => got.has(id));
    }, 60_000 + LEADS * 150);

    const hooks = webhooks((r) => ids.has(leadOf(r)));
    assert.ok(hooks.every((r) => r.verified), "every signature verifies");
    const byLead = new Map();
    for (const r of hooks) byLead.set(leadOf(r), (byLead.get(leadOf(r)) ?? new Set()).add(r.id));
    assert.equal(byLead.size, ids.size, "no lead missing");
    assert.ok([...byLead.values()].every((s) => s.size === 1), "one webhook-id per lead and channel, on every attempt");
    const failedFirst = hooks.filter((r) => r.attempt === 1 && r.answered !== 200).length;
    assert.ok(failedFirst > ids.size / 4, `the receiver failed ${failedFirst} first attempts`);
    const dups = hooks.filter((r) => r.duplicate);
    // What the receiver saw and what the outbox logged, for whoever debugs a duplicate.
    const told = await Promise.all(dups.slice(0, 3).map(async (d) => JSON.stringify({
      received: hooks.filter((r) => r.id === d.id).map((r) => ({ attempt: r.attempt, answered: r.answered, at: r.at })),
      logged: await sql(`select attempt, started_at, status_code, latency_ms, error from delivery_attempts where delivery_id = '${d.id}'`),
    })));
    assert.equal(dups.length, 0, `no lead delivered twice: ${told.join("\n")}`);

    // The outbox agrees: every delivery of these leads is delivered.
    await rx.waitFor(() => true, 10);
    let pending;
    const deadline = Date.now() + 30_000 + LEADS * 30;
    do {
      const rows = await sql(`select status, count(*) as n from deliveries where about is null group by status`);
      pending = rows.filter((r) => r.status !== "delivered");
      if (pending.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    assert.deepEqual(pending, [], "nothing left pending or failed");
    const attempts = await sql(`select count(*) as n from delivery_attempts where status_code is null or status_code >= 300`);
    assert.ok(attempts[0].n >= failedFirst, "every failed attempt is logged");
    rx.control("*", { mode: "ok" });
  });
});

describe("when a receiver is down", () => {
  it("honours Retry-After on 429", async () => {
    rx.reset();
    rx.control("sam", { mode: "status", status: 429, retryAfter: 2, times: 1 });
    const { lead_id } = await lead(bakery());
    await rx.waitFor(() => webhooks((r) => leadOf(r) === lead_id && r.answered === 200).length === 1, 15_000);
    const tries = webhooks((r) => leadOf(r) === lead_id);
    assert.equal(tries.length, 2);
    assert.ok(tries[1].at - tries[0].at >= 1_900, `waited ${tries[1].at - tries[0].at} ms for Retry-After: 2`);
  });

  it("gives up on a 4xx at once, marks the delivery failed and alerts the SLA's escalation contact", async () => {
    rx.reset();
    rx.control("sam", { mode: "status", status: 400 });
    const { lead_id } = await lead(bakery());
    await rx.waitFor(() => webhooks((r) => r.name === "rita" && r.event?.type === "delivery.failed").length > 0, 10_000);
    const alert = webhooks((r) => r.name === "rita")[0];
    assert.equal(alert.verified, true);
    assert.equal(alert.event.data.lead_id, lead_id);
    assert.equal(alert.event.data.channel, "rep:sam:webhook");
    assert.match(alert.event.data.last_error, /HTTP 400/);
    assert.equal(webhooks((r) => r.name === "sam").length, 1, "a 400 is not retried");
    const [d] = await sql(`select status, attempts from deliveries where id = 'msg_${lead_id}_0'`);
    assert.deepEqual(d, { status: "failed", attempts: 1 });
    rx.control("sam", { mode: "ok" });
  });

  it("a channel kept down sends its lead to the dead-letter queue, kept as failed, and the escalation contact hears", async () => {
    rx.reset();
    rx.control("sam", { mode: "status", status: 503 });
    const { lead_id } = await lead(bakery());
    await rx.waitFor(() => webhooks((r) => r.name === "rita" && r.event?.data?.lead_id === lead_id).length > 0, 30_000);
    const tries = webhooks((r) => r.name === "sam" && leadOf(r) === lead_id);
    assert.equal(tries.length, 4, "the first attempt and three retries");
    assert.ok(new Set(tries.map((t) => t.id)).size === 1);
    const [d] = await sql(`select status, attempts, last_error from deliveries where id = 'msg_${lead_id}_0'`);
    assert.equal(d.status, "failed");
    assert.equal(d.attempts, 4);
    const logged = await sql(`select attempt, status_code from delivery_attempts where delivery_id = 'msg_${lead_id}_0' order by attempt`);
    assert.deepEqual(logged.map((a) => a.status_code), [503, 503, 503, 503], "every attempt is logged");
    const kept = await sql(`select count(*) as n from leads where id = '${lead_id}'`);
    assert.equal(kept[0].n, 1, "nothing is deleted");
    rx.control("sam", { mode: "ok" });
  });

  it("410 Gone turns the channel off and tells the fallback route's people", async () => {
    rx.reset();
    for (const rep of ["sofia", "kenji"]) rx.control(rep, { mode: "status", status: 410 });
    // Qualified outside EMEA and North America: the growth team (Sofia, Kenji).
    const { lead_id, assigned_rep } = await lead(emeaVp({ country: "BR" }));
    await rx.waitFor(() => rx.received.some((r) => r.event?.type === "channel.disabled" || r.message?.text?.includes("turned off")), 10_000);
    const [off] = await sql(`select channel from disabled_channels`);
    assert.equal(off.channel, `rep:${assigned_rep.id}:webhook`);
    const [d] = await sql(`select status from deliveries where id = 'msg_${lead_id}_0'`);
    assert.equal(d.status, "disabled");
    const alerts = webhooks((r) => r.event?.type === "channel.disabled");
    assert.ok(alerts.some((a) => a.name === "sam" && a.event.data.lead_id === lead_id), "the fallback's rep is told");
    // The next lead for that rep is not sent to the dead endpoint at all.
    const before = webhooks((r) => r.name === assigned_rep.id).length;
    let again;
    for (let i = 0; i < 3 && again?.assigned_rep.id !== assigned_rep.id; i++) again = await lead(emeaVp({ country: "BR" }));
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(webhooks((r) => r.name === assigned_rep.id).length, before, "nothing more to a channel that is gone");
    for (const rep of ["sofia", "kenji"]) rx.control(rep, { mode: "ok" });
  });
});

describe("what is delivered, and what is not", () => {
  it("a refused lead (field errors) and a knocked-out one reach nobody", async () => {
    rx.reset();
    const refused = await post(`${w.url}/v1/leads`, leadPost(emeaVp({ email: "not-an-address" })));
    assert.equal(refused.status, 422);
    const student = await lead(emeaVp({ title: "Student assistant" }));
    assert.equal(student.decision.knocked_out, true);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(rx.received.length, 0, JSON.stringify(rx.received.map((r) => r.name)));
    assert.equal((await sql(`select count(*) as n from deliveries where lead_id = '${student.lead_id}'`))[0].n, 0);
  });

  it("hostile text reaches the webhook intact and the Slack message escaped, never broken out of", async () => {
    rx.reset();
    const nasty = {
      name: `<script>alert(1)</script> Robert'); DROP TABLE leads;-- <!channel> <https://evil.example|click>`,
      company: "Ac\u202Eme & <b>Sons</b> \u200D\u{1F600} " + "x".repeat(120),
      title: "VP \"Sales\" `ops` *bold* _it_ ~s~ & <@U123>",
    };
    const sub = emeaVp(nasty);
    const { lead_id } = await lead(sub);
    await rx.waitFor(() => webhooks((r) => leadOf(r) === lead_id).length === 1 && slacks().length === 1, 10_000);
    const data = webhooks((r) => leadOf(r) === lead_id)[0].event.data;
    for (const [k, v] of Object.entries(nasty)) {
      assert.equal(data.answers.find((a) => a.field === k).value, v, `${k} round-trips byte for byte`);
    }
    const slack = slacks()[0];
    assert.equal(slack.valid, true, slack.error);
    const text = JSON.stringify(slack.message);
    assert.ok(!text.includes("<!channel>") && !text.includes("<https://evil") && !text.includes("<@U123>"), "no mention or link from a visitor");
    assert.ok(text.includes("&lt;script&gt;"));
    assert.equal((await sql(`select count(*) as n from leads`))[0].n > 0, true, "the table is still there");
  });

  it("a retried post is one lead with one set of deliveries", async () => {
    rx.reset();
    const key = crypto.randomUUID();
    const body = JSON.stringify(leadPost(emeaVp()));
    const answers = await Promise.all([1, 2, 3].map(() => post(`${w.url}/v1/leads`, body, { "idempotency-key": key })));
    const id = answers[0].body.lead_id;
    assert.ok(answers.every((a) => a.status === 201 && a.body.lead_id === id));
    await rx.waitFor(() => webhooks((r) => leadOf(r) === id).length === 1, 5_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(webhooks((r) => leadOf(r) === id).length, 1);
    assert.equal((await sql(`select count(*) as n from deliveries where lead_id = '${id}'`))[0].n, 2);
  });
});

describe("routing sales trusts", () => {
  it("the same person again is a new touch on their lead, to the same rep, taking no turn", async () => {
    rx.reset();
    const email = `pat@${uniqueDomain("returning")}.de`;
    const first = await lead(emeaVp({ email }));
    const again = await lead(emeaVp({ email, timeline: "this-year" }));
    assert.equal(again.assigned_rep.id, first.assigned_rep.id);
    const route = async (l) => (await (await fetch(`${w.url}/v1/leads/${l.lead_id}`, { headers: admin() })).json()).decision.route;
    assert.equal(again.decision.route.owner, undefined, "the page is not told whose lead it was");
    assert.equal((await route(again)).owner.basis, "returning");
    assert.equal((await route(again)).owner.lead_id, first.lead_id);
    const [row] = await sql(`select returning_of from leads where id = '${again.lead_id}'`);
    assert.equal(row.returning_of, first.lead_id);
    await rx.waitFor(() => webhooks((r) => leadOf(r) === again.lead_id).length === 1, 5_000);
    const touch = webhooks((r) => leadOf(r) === again.lead_id)[0].event.data;
    assert.equal(touch.touch, "returning");
    await rx.waitFor(() => slacks((s) => JSON.stringify(s.message).includes("Came back")).length === 1, 5_000);
    // Round robin: the next new person goes to the other rep of the team.
    const next = await lead(emeaVp());
    assert.notEqual(next.assigned_rep.id, first.assigned_rep.id, "the returning lead took no turn");
  });

  it("a company's next lead goes to the rep its earlier lead went to, and a named account to its owner", async () => {
    const domain = uniqueDomain("owned");
    const first = await lead(emeaVp({ email: `one@${domain}.de` }));
    const colleague = await lead(emeaVp({ email: `two@${domain}.de` }));
    assert.equal(colleague.assigned_rep.id, first.assigned_rep.id);
    const route = async (l) => (await (await fetch(`${w.url}/v1/leads/${l.lead_id}`, { headers: admin() })).json()).decision.route;
    assert.equal((await route(colleague)).owner.basis, "earlier_lead");
    assert.match((await route(colleague)).because, new RegExp(domain));

    const named = await lead(emeaVp({ email: "cfo@globex.com" }));
    assert.equal(named.assigned_rep.id, "jonas");
    assert.equal((await route(named)).owner.basis, "named_account");
    // Free mail belongs to nobody: two gmail leads are two turns.
    const a = await lead(emeaVp({ email: `a.${uniqueDomain("x")}@gmail.com` }));
    const b = await lead(emeaVp({ email: `b.${uniqueDomain("x")}@gmail.com` }));
    assert.equal((await route(a)).owner, undefined);
    assert.equal((await route(b)).owner, undefined);
  });
});

describe("the admin read API", () => {
  it("refuses without a token (401) and with a wrong one (403), and lists leads since a time", async () => {
    const none = await fetch(`${w.url}/v1/leads`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate"), /^Bearer/);
    assert.equal((await none.json()).error.code, "unauthorized");
    const wrong = await fetch(`${w.url}/v1/leads/x`, { headers: { authorization: "Bearer guess" } });
    assert.equal(wrong.status, 403);
    const missing = await fetch(`${w.url}/v1/leads/01ARZ3NDEKTSV4RRFFQ69G5FAV`, { headers: admin() });
    assert.equal(missing.status, 404);
    const bad = await fetch(`${w.url}/v1/leads?since=yesterday`, { headers: admin() });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /since/);

    const since = new Date(Date.now() - 1000).toISOString();
    const { lead_id } = await lead(emeaVp());
    const list = await (await fetch(`${w.url}/v1/leads?since=${since}`, { headers: admin() })).json();
    assert.ok(list.leads.some((l) => l.id === lead_id));
    const page = await (await fetch(`${w.url}/v1/leads?limit=2`, { headers: admin() })).json();
    assert.equal(page.leads.length, 2);
    const rest = await (await fetch(`${w.url}/v1/leads?limit=2&since=${page.next}`, { headers: admin() })).json();
    assert.ok(rest.leads[0].id > page.leads[1].id, "the next page starts after the last");
  });
});

describe("if the queue will not take the lead after the commit", () => {
  let w2;
  before(async () => {
    w2 = await startWorker({ vars: { ...vars, FAULTS: "queue_send" }, scheduled: true });
  });
  after(async () => {
    await w2?.stop();
  });

  it("the sweeper delivers it, once", async () => {
    rx.reset();
    const res = await post(`${w2.url}/v1/leads`, leadPost(bakery()));
    assert.equal(res.status, 201, "the visitor is answered: the lead is committed");
    const id = res.body.lead_id;
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(webhooks((r) => leadOf(r) === id).length, 0, "the queue never got it");
    assert.match(w2.log(), /queue send failed, the sweeper will deliver/);
    await w2.scheduled();
    await rx.waitFor(() => webhooks((r) => leadOf(r) === id).length === 1, 10_000);
    await w2.scheduled();
    await new Promise((r) => setTimeout(r, 1_500));
    const got = webhooks((r) => leadOf(r) === id);
    assert.equal(got.length, 1, "delivered once, not once per sweep");
    assert.equal(got[0].verified, true);
  });
});
