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
import { createHmac } from "node:crypto";

import { startWorker, post } from "./support/worker.mjs";
import { startWithReceiver } from "./support/stack.mjs";
import { bakery, emeaVp, leadPost, uniqueDomain } from "./support/leads.mjs";

const LEADS = Number(process.env.BATON_DELIVERY_LEADS ?? 200);
// Short waits, so a test sees a whole schedule: 4 attempts, 1 s apart.
const FAST = { RETRY_SCHEDULE: "1,1,1", SWEEP_AFTER_SECONDS: "1" };

let rx;
let w;
let vars;
before(async () => {
  ({ rx, w, vars } = await startWithReceiver(FAST, { scheduled: true }));
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
    // Three leads of its own, so paging holds whichever tests ran before.
    const [{ lead_id }] = [await lead(emeaVp()), await lead(emeaVp()), await lead(emeaVp())];
    const list = await (await fetch(`${w.url}/v1/leads?since=${since}`, { headers: admin() })).json();
    assert.ok(list.leads.some((l) => l.id === lead_id));
    const page = await (await fetch(`${w.url}/v1/leads?limit=2`, { headers: admin() })).json();
    assert.equal(page.leads.length, 2);
    const rest = await (await fetch(`${w.url}/v1/leads?limit=2&since=${page.next}`, { headers: admin() })).json();
    assert.ok(rest.leads[0].id > page.leads[1].id, "the next page starts after the last");
  });
});

// The form post a rep's browser makes from a feedback page.
const confirm = (link, extra = {}) => {
  const q = new URL(link).searchParams;
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return fetch(`${w.url}/v1/feedback`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: q.toString(),
  });
};
// A lead posted and delivered to its rep's webhook and its team's Slack.
const delivered = async (sub) => {
  rx.reset();
  const { lead_id, assigned_rep } = await lead(sub);
  await rx.waitFor(() => webhooks((r) => leadOf(r) === lead_id).length === 1 && slacks().length === 1, 5_000);
  return { lead_id, rep: assigned_rep.id, hook: webhooks((r) => leadOf(r) === lead_id)[0], slack: slacks()[0] };
};

describe("sales answers back", () => {

  it("a delivered lead carries signed links; the link's page asks, one click records it with who and when, once", async () => {
    const sub = emeaVp({ name: "Ada <b>Lovelace</b>", company: "Analytical Engines" });
    const { lead_id, rep, hook, slack } = await delivered(sub);
    const links = hook.event.data.feedback;
    assert.ok(links, "the webhook event has feedback links");
    for (const a of ["accepted", "rejected", "contacted", "meeting_booked", "won", "lost"]) {
      const u = new URL(links[a]);
      assert.equal(u.origin + u.pathname, `${w.url}/v1/feedback`);
      assert.equal(u.searchParams.get("a"), a);
      assert.equal(u.searchParams.get("by"), rep, "the link names the rep the webhook went to");
    }
    const days = (Date.parse(links.expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `links live link_days (30): ${days}`);
    // The team's Slack message: the same actions as buttons, signed for the team.
    const buttons = slack.message.blocks.filter((b) => b.type === "actions").flatMap((b) => b.elements);
    assert.deepEqual(buttons.map((b) => b.text.text), ["Accept", "Reject", "Contacted", "Meeting booked", "Won", "Lost", "Open lead"]);
    assert.equal(new URL(buttons[0].url).searchParams.get("by"), "team:emea-enterprise");
    assert.equal(slack.valid, true, slack.error);

    // Opening the link records nothing (mail scanners open links): it asks.
    const page = await fetch(links.accepted);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /text\/html/);
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.match(page.headers.get("content-security-policy"), /default-src 'none'/);
    const html = await page.text();
    assert.ok(html.includes("Accept this lead?"), html);
    assert.ok(html.includes("Ada &lt;b&gt;Lovelace&lt;/b&gt;"), "the lead's name, escaped");
    assert.ok(html.includes("Analytical Engines"));
    assert.ok(!html.includes("<b>Lovelace</b>"));
    assert.deepEqual((await (await fetch(`${w.url}/v1/leads/${lead_id}`, { headers: admin() })).json()).outcomes, []);

    const done = await confirm(links.accepted);
    assert.equal(done.status, 201);
    assert.match(await done.text(), /Recorded: Accept/);
    const again = await confirm(links.accepted);
    assert.equal(again.status, 200);
    assert.match(await again.text(), /Already recorded/);
    const record = await (await fetch(`${w.url}/v1/leads/${lead_id}`, { headers: admin() })).json();
    assert.equal(record.outcomes.length, 1, "one record for two clicks");
    assert.equal(record.outcomes[0].action, "accepted");
    assert.equal(record.outcomes[0].by, rep);
    assert.equal(record.outcomes[0].source, "link");
    assert.ok(record.first_touch_at, "accepting is the first touch");
    assert.ok(Math.abs(Date.parse(record.first_touch_at) - Date.now()) < 10_000);
    assert.equal(record.first_touch_at, record.outcomes[0].at);

    // A later contact does not move the first touch.
    assert.equal((await confirm(links.contacted)).status, 201);
    const after = await (await fetch(`${w.url}/v1/leads/${lead_id}`, { headers: admin() })).json();
    assert.equal(after.first_touch_at, record.first_touch_at);
    assert.deepEqual(after.outcomes.map((o) => o.action).sort(), ["accepted", "contacted"]);
  });

  it("a rejection names one of the playbook's reasons, a win its amount; a deal ends once; forged and expired links record nothing", async () => {
    const { lead_id, hook } = await delivered(emeaVp());
    const links = hook.event.data.feedback;
    const page = await (await fetch(links.rejected)).text();
    for (const r of ["Not a fit", "Student or job seeker", "Competitor"]) assert.ok(page.includes(`<option>${r}</option>`), r);

    const noReason = await confirm(links.rejected);
    assert.equal(noReason.status, 422);
    assert.match(await noReason.text(), /needs a reason: Not a fit, Student or job seeker/);
    const unknown = await confirm(links.rejected, { reason: "Weather" });
    assert.equal(unknown.status, 422);
    assert.equal((await confirm(links.rejected, { reason: "not a fit" })).status, 201);

    assert.equal((await confirm(links.won)).status, 422, "a win needs its amount");
    assert.equal((await confirm(links.won, { amount: "-5" })).status, 422);
    assert.equal((await confirm(links.won, { amount: "48000" })).status, 201);
    const lost = await confirm(links.lost, { reason: "Price" });
    assert.equal(lost.status, 409);
    assert.match(await lost.text(), /already marked won/);

    const forged = new URL(links.accepted);
    forged.searchParams.set("a", "won");
    assert.equal((await fetch(forged)).status, 403);
    assert.equal((await confirm(forged.href, { amount: "1" })).status, 403);
    const other = new URL(links.accepted);
    other.searchParams.set("lead", "01JAAAAAAAAAAAAAAAAAAAAAAA");
    assert.equal((await confirm(other.href)).status, 403, "a link is for one lead");
    const stale = new URL(links.accepted);
    stale.searchParams.set("exp", "1000");
    assert.equal((await fetch(stale)).status, 403, "a changed expiry is a forgery");
    // Signed here as the edge signs (HMAC-SHA256 over length-prefixed parts,
    // shared/src/outcome.rs), but expired: refused with 410.
    const expired = new URL(links.accepted);
    const exp = String(Math.floor(Date.now() / 1000) - 10);
    const mac = createHmac("sha256", vars.LINK_SECRET);
    for (const part of ["baton-feedback-v1", lead_id, "accepted", expired.searchParams.get("by"), exp]) {
      const bytes = Buffer.from(part);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length);
      mac.update(len).update(bytes);
    }
    expired.searchParams.set("exp", exp);
    expired.searchParams.set("sig", mac.digest("base64url"));
    const gone = await fetch(expired);
    assert.equal(gone.status, 410);
    assert.match(await gone.text(), /expired/);
    assert.equal((await confirm(expired.href)).status, 410);
    const incomplete = new URL(links.accepted);
    incomplete.searchParams.delete("sig");
    assert.equal((await fetch(incomplete)).status, 400);

    const record = await (await fetch(`${w.url}/v1/leads/${lead_id}`, { headers: admin() })).json();
    const by = Object.fromEntries(record.outcomes.map((o) => [o.action, o]));
    assert.deepEqual(Object.keys(by).sort(), ["rejected", "won"]);
    assert.equal(by.rejected.reason, "Not a fit", "the reason as the playbook spells it");
    assert.equal(by.won.amount, 48000);
    assert.equal(record.first_touch_at, null, "neither a rejection nor a win is a first touch");
  });

  it("a CRM records the same outcomes through the admin API, idempotently", async () => {
    const { lead_id } = await lead(emeaVp());
    const url = `${w.url}/v1/leads/${lead_id}/outcomes`;
    assert.equal((await post(url, { action: "contacted", by: "crm:jo" })).status, 401);
    assert.equal((await post(url, { action: "contacted", by: "crm:jo" }, { authorization: "Bearer nope" })).status, 403);
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const first = await post(url, { action: "contacted", by: "crm:jo", at }, admin());
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.already, false);
    assert.equal(first.body.outcome.source, "api");
    assert.equal(first.body.outcome.at, at);
    assert.equal(first.body.first_touch_at, at, "the CRM's time is the first touch");
    const retry = await post(url, { action: "contacted", by: "crm:jo" }, admin());
    assert.equal(retry.status, 200);
    assert.equal(retry.body.already, true);
    assert.equal(retry.body.outcome.at, at);
    const bad = [
      [{ action: "won", by: "crm:jo" }, 422, "invalid_outcome"],
      [{ action: "lost", by: "crm:jo", reason: "Weather" }, 422, "invalid_outcome"],
      [{ action: "accepted", by: "" }, 422, "invalid_outcome"],
      [{ action: "accepted", by: "x", at: "yesterday" }, 422, "invalid_outcome"],
      [{ action: "accepted", by: "x", at: "2999-01-01T00:00:00Z" }, 422, "invalid_outcome"],
      [{ action: "promoted", by: "x" }, 400, "invalid_request"],
    ];
    for (const [body, status, code] of bad) {
      const res = await post(url, body, admin());
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.error.code, code);
    }
    const missing = await post(`${w.url}/v1/leads/01JAAAAAAAAAAAAAAAAAAAAAAA/outcomes`, { action: "accepted", by: "x" }, admin());
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "lead_not_found");
  });
});

describe("the SLA clock", () => {
  const typed = (type, pred = () => true) => webhooks((r) => r.event?.type === type && pred(r));
  const record = async (id) => (await fetch(`${w.url}/v1/leads/${id}`, { headers: admin() })).json();

  it("a lead nobody touched by its deadline is escalated and goes to the team's next rep; a touched one is left alone", { timeout: 60_000 }, async () => {
    const late = await delivered(emeaVp());
    const touched = await delivered(emeaVp());
    assert.equal((await confirm(touched.hook.event.data.feedback.accepted)).status, 201);
    const due = (await record(late.lead_id));
    assert.equal(due.sla_missed_at, null);
    const [{ sla_due_at }] = await sql(`select sla_due_at from leads where id = '${late.lead_id}'`);
    assert.equal(sla_due_at - Date.parse(due.created_at), 15 * 60_000, "grade A: 15 minutes from the lead");

    // The deadline passes (moved, not waited for) and the cron runs.
    await sql(`update leads set sla_due_at = ${Date.now() - 1_000} where id in ('${late.lead_id}', '${touched.lead_id}')`);
    rx.reset();
    await w.scheduled();
    const next = late.rep === "ana" ? "jonas" : "ana";
    await rx.waitFor(() => typed("sla.missed").length === 2 && typed("lead.reassigned").length === 1, 10_000);
    const notices = typed("sla.missed");
    assert.deepEqual(notices.map((r) => r.name).sort(), [late.rep, "rita"].sort(), "the escalation contact and the rep who missed it");
    for (const n of notices) {
      assert.equal(n.verified, true, n.error);
      assert.equal(n.event.data.lead_id, late.lead_id);
      assert.equal(n.event.data.missed_by.id, late.rep);
      assert.equal(n.event.data.reassigned_to.id, next);
      assert.equal(n.event.data.minutes, 15);
      assert.equal(n.event.data.contact.company, "Acme Industrial");
    }
    const [handed] = typed("lead.reassigned");
    assert.equal(handed.name, next, "the next rep's own webhook");
    assert.equal(handed.verified, true, handed.error);
    assert.equal(handed.event.data.lead_id, late.lead_id);
    assert.equal(handed.event.data.rep.id, next);
    assert.equal(new URL(handed.event.data.feedback.accepted).searchParams.get("by"), next);
    const left = Date.parse(handed.event.data.sla.deadline) - Date.now();
    assert.ok(left > 14 * 60_000 && left <= 15 * 60_000, `a new deadline for the new rep: ${left} ms`);
    assert.equal(webhooks((r) => leadOf(r) === touched.lead_id).length, 0, "an accepted lead misses nothing");

    const now = await record(late.lead_id);
    assert.equal(now.assigned_rep, next);
    assert.equal(now.sla_missed_at, null, "the clock runs again, for the new rep");
    const breaches = await sql(`select rep, escalated_to, reassigned_to from sla_breaches where lead_id = '${late.lead_id}'`);
    assert.deepEqual(breaches, [{ rep: late.rep, escalated_to: "rita", reassigned_to: next }]);

    // The second rep lets it pass too: nobody is left, so only the escalation.
    await sql(`update leads set sla_due_at = ${Date.now() - 1_000} where id = '${late.lead_id}'`);
    rx.reset();
    await w.scheduled();
    await rx.waitFor(() => typed("sla.missed").length === 2, 10_000);
    assert.ok(typed("sla.missed").every((r) => r.event.data.missed_by.id === next && r.event.data.reassigned_to === null));
    assert.equal(typed("lead.reassigned").length, 0);
    const last = await record(late.lead_id);
    assert.equal(last.assigned_rep, next, "kept by the last rep tried");
    assert.ok(last.sla_missed_at, "reported as missed");
    rx.reset();
    await w.scheduled();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(typed("sla.missed").length, 0, "a miss is reported once");
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
