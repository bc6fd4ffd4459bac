// The loopback receiver (tests/support/receiver.mjs) the end-to-end tests and
// the demo deliver to: Standard Webhooks verification with the independent
// `standardwebhooks` library, Slack's wire format, failure injection, and the
// page a rep sees (escaped, CSP-locked). Fast: no Worker, no browser.

import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Webhook } from "standardwebhooks";
import {
  startReceiver, stableFraction, parseDotenv, secretsFromVars, mrkdwnToHtml, slackMessageError, slackDate,
} from "./support/receiver.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;
const SECRET = newSecret();
const OTHER = newSecret();

let rx;
before(async () => {
  rx = await startReceiver({ secrets: { ana: SECRET, jonas: OTHER } });
});
after(async () => {
  await rx?.stop();
});
beforeEach(() => rx.reset());

let n = 0;
const nextId = () => `msg_test_${process.pid}_${++n}`;
const nowSec = () => Math.floor(Date.now() / 1000);

/** Headers signed with the standardwebhooks library's own sign(). */
function signed(body, { id = nextId(), secret = SECRET, ts = nowSec() } = {}) {
  const signature = new Webhook(secret).sign(id, new Date(ts * 1000), body);
  return { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature };
}

/** The same, computed by hand with node:crypto from the spec: HMAC-SHA256(base64-decoded key, "id.ts.body"). */
function signedByHand(body, { id = nextId(), secret = SECRET, ts = nowSec() } = {}) {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64");
  return { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1,${mac}` };
}

async function post(path, body, headers = {}, { timeoutMs } = {}) {
  const res = await fetch(`${rx.url}${path}`, {
    method: "POST",
    headers,
    body,
    signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const sampleEvent = (over = {}) => ({
  type: "lead.qualified",
  timestamp: "2026-12-02T14:03:11.123Z",
  data: {
    v: 1, lead_id: "01JDTESTLEAD", form: "demo", form_name: "Northwind Analytics — talk to sales",
    created_at: "2026-12-02T14:03:11.000Z", lead_url: "http://127.0.0.1:8787/v1/leads/01JDTESTLEAD", touch: "new",
    contact: { email: "ana.souza@acme-industrial.de", name: "Ana Souza", company: "Acme Industrial", title: "VP Revenue", phone: "+49 30 1234567" },
    answers: [{ field: "employees", label: "Number of employees", value: 800 }],
    score: 80, grade: "A", qualified: true, knocked_out: null,
    reasons: [{ rule: "size-sweet-spot", points: 25, description: "Mid-market: 200 to 5,000 employees", because: "employees is 800, between 200 and 5000" }],
    playbook_version: "3f2a9c0d11e2b7aa",
    route: { route: "emea-enterprise", team: "emea-enterprise", team_name: "EMEA Enterprise", because: "country DE is in EMEA", owner: { rep: "jonas", basis: "named_account", because: "acme-industrial.de is a named account" } },
    rep: { id: "ana", name: "Ana Souza", email: "ana@northwind.example", booking_url: "https://cal.northwind.example/ana" },
    sla: { minutes: 15, deadline: "2026-12-02T14:18:11.000Z" },
    context: { page_url: "https://www.northwind.example/pricing", referrer: "https://www.google.com/", utm: { source: "google", medium: "cpc", campaign: "q4-forecasting" }, pages_seen: ["/", "/pricing"], content_seen: ["case-logistics"], time_on_page_ms: 42000 },
    agreement: "match",
    content: [{ id: "case-logistics", kind: "case_study", title: "How a logistics firm forecasts", url: "https://www.northwind.example/cases/logistics", summary: "30% better forecasts" }],
    ...over,
  },
});

// --- Standard Webhooks ------------------------------------------------------

test("the spec's example signature is reproduced, and verifies at its own time", async (t) => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const ts = 1614265330;
  const body = '{"test": 2432232314}';
  const expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  assert.equal(new Webhook(secret).sign(id, new Date(ts * 1000), body), expected);
  assert.equal(signedByHand(body, { id, secret, ts })["webhook-signature"], expected);

  // The library refuses timestamps older than 5 minutes: fake its clock.
  const headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": expected };
  assert.throws(() => new Webhook(secret).verify(body, headers), /too old/);
  t.mock.method(Date, "now", () => ts * 1000 + 10_000);
  assert.deepEqual(new Webhook(secret).verify(body, headers), { test: 2432232314 });

  // And the receiver itself (same process, same faked clock) accepts it.
  const rx2 = await startReceiver({ secrets: { spec: secret } });
  try {
    const status = await new Promise((ok, fail) => {
      const req = request(`${rx2.url}/hooks/spec`, { method: "POST", headers: { ...headers, "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", () => ok(res.statusCode));
      });
      req.on("error", fail);
      req.end(body);
    });
    assert.equal(status, 200);
    assert.equal(rx2.received[0].verified, true);
    assert.deepEqual(rx2.received[0].event, { test: 2432232314 });
  } finally {
    await rx2.stop();
  }
});

test("a request signed with the library's sign() verifies and is recorded", async () => {
  const body = JSON.stringify(sampleEvent());
  const headers = signed(body);
  const before = Date.now();
  const res = await post("/hooks/ana", body, headers);
  assert.equal(res.status, 200);
  assert.equal(rx.received.length, 1);
  const r = rx.received[0];
  assert.equal(r.name, "ana");
  assert.equal(r.kind, "webhook");
  assert.equal(r.id, headers["webhook-id"]);
  assert.equal(r.timestamp, Number(headers["webhook-timestamp"]));
  assert.equal(r.signature, headers["webhook-signature"]);
  assert.equal(r.verified, true);
  assert.equal(r.error, undefined);
  assert.equal(r.body, body);
  assert.deepEqual(r.event, sampleEvent());
  assert.equal(r.attempt, 1);
  assert.equal(r.answered, 200);
  assert.ok(r.at >= before && r.at <= Date.now());
});

test("a request signed by hand with node:crypto HMAC verifies", async () => {
  const body = JSON.stringify({ type: "lead.created", data: { v: 1, lead_id: "x" } });
  const res = await post("/hooks/ana", body, signedByHand(body));
  assert.equal(res.status, 200);
  assert.equal(rx.received[0].verified, true);
  // Several signatures (key rotation): one matching is enough.
  const h = signedByHand(body);
  h["webhook-signature"] = `v1,${Buffer.alloc(32).toString("base64")} ${h["webhook-signature"]}`;
  assert.equal((await post("/hooks/ana", body, h)).status, 200);
});

test("tampered body, wrong secret, stale or future timestamp, missing headers, unknown hook: 401, verified=false", async () => {
  const body = JSON.stringify(sampleEvent());
  const cases = [
    ["tampered", () => post("/hooks/ana", body.replace("Ana Souza", "Eve"), signed(body)), /signature/i],
    ["wrong secret", () => post("/hooks/ana", body, signed(body, { secret: OTHER })), /signature/i],
    ["stale", () => post("/hooks/ana", body, signed(body, { ts: nowSec() - 6 * 60 })), /too old/],
    ["future", () => post("/hooks/ana", body, signed(body, { ts: nowSec() + 6 * 60 })), /too new/],
    ["missing headers", () => post("/hooks/ana", body, { "content-type": "application/json" }), /Missing/],
    ["no secret for name", () => post("/hooks/nobody", body, signed(body)), /no secret/],
    ["id swapped", () => post("/hooks/ana", body, { ...signed(body), "webhook-id": "msg_other" }), /signature/i],
  ];
  for (const [what, send, why] of cases) {
    rx.reset();
    const res = await send();
    assert.equal(res.status, 401, what);
    assert.equal(rx.received.length, 1, what);
    assert.equal(rx.received[0].verified, false, what);
    assert.equal(rx.received[0].answered, 401, what);
    assert.match(rx.received[0].error, why, what);
  }
});

test("a repeated webhook-id already answered 2xx is answered 200 and flagged duplicate", async () => {
  const body = JSON.stringify(sampleEvent());
  const headers = signed(body);
  assert.equal((await post("/hooks/ana", body, headers)).status, 200);
  assert.equal((await post("/hooks/ana", body, headers)).status, 200);
  assert.deepEqual(rx.received.map((r) => [r.attempt, r.answered, r.duplicate ?? false]), [[1, 200, false], [2, 200, true]]);
  // A retry after a failed first attempt is not a duplicate.
  rx.control("ana", { mode: "status", status: 500, times: 1 });
  const h2 = signed(body);
  assert.equal((await post("/hooks/ana", body, h2)).status, 500);
  assert.equal((await post("/hooks/ana", body, h2)).status, 200);
  assert.deepEqual(rx.received.slice(2).map((r) => [r.attempt, r.answered, r.duplicate ?? false]), [[1, 500, false], [2, 200, false]]);
});

// --- Failure injection ----------------------------------------------------------

test("failure modes: 500, 429 + Retry-After, 410, times, and /_control over HTTP", async () => {
  const body = JSON.stringify(sampleEvent());
  rx.control("ana", { mode: "status", status: 500 });
  let res = await post("/hooks/ana", body, signed(body));
  assert.equal(res.status, 500);
  assert.equal(rx.received.at(-1).answered, 500);
  assert.equal(rx.received.at(-1).verified, true, "a failed request is still verified and recorded");

  rx.control("ana", { mode: "status", status: 429, retryAfter: 2 });
  res = await post("/hooks/ana", body, signed(body));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "2");

  rx.control("ana", { mode: "status", status: 410 });
  assert.equal((await post("/hooks/ana", body, signed(body))).status, 410);

  rx.control("ana", { mode: "status", status: 503, times: 2 });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await post("/hooks/ana", body, signed(body))).status);
  assert.deepEqual(statuses, [503, 503, 200]);

  // The same over HTTP, for tests in another process; it applies to /slack/:name too.
  res = await post("/_control/ana", JSON.stringify({ mode: "status", status: 429, retryAfter: 7 }), { "content-type": "application/json" });
  assert.equal(res.status, 200);
  res = await post("/slack/ana", JSON.stringify({ text: "hi" }), { "content-type": "application/json" });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "7");
  assert.equal(res.text, "rate_limited");
  assert.equal((await post("/_control/ana", JSON.stringify({ mode: "sideways" }))).status, 400);
  assert.equal((await post("/_control/ana", "{not json")).status, 400);
  assert.equal((await post("/_control/ana", JSON.stringify({ mode: "ok" }))).status, 200);
  assert.equal((await post("/slack/ana", JSON.stringify({ text: "hi" }))).status, 200);
  assert.throws(() => rx.control("ana", { mode: "status" }), /status/);
});

test("slow answers 200 after the delay; a sender that gives up first is recorded as aborted", async () => {
  const body = JSON.stringify(sampleEvent());
  rx.control("ana", { mode: "slow", ms: 300 });
  const t0 = Date.now();
  const res = await post("/hooks/ana", body, signed(body));
  assert.equal(res.status, 200);
  assert.ok(Date.now() - t0 >= 280, `answered after ${Date.now() - t0} ms`);
  assert.equal(rx.received.at(-1).answered, 200);

  const h = signed(body);
  await assert.rejects(post("/hooks/ana", body, h, { timeoutMs: 80 }), /abort|timeout/i);
  await rx.waitFor((rs) => rs.at(-1).answered === "aborted", 2000);
  // The sender's retry is not a duplicate: the first was never answered.
  rx.control("ana", { mode: "ok" });
  assert.equal((await post("/hooks/ana", body, h)).status, 200);
  assert.equal(rx.received.at(-1).attempt, 2);
  assert.equal(rx.received.at(-1).duplicate, undefined);
});

test("drop destroys the socket without an answer, and is recorded", async () => {
  const body = JSON.stringify(sampleEvent());
  rx.control("ana", { mode: "drop" });
  await assert.rejects(post("/hooks/ana", body, signed(body)), /fetch failed|socket|closed/i);
  assert.equal(rx.received.length, 1);
  assert.equal(rx.received[0].answered, "dropped");
  assert.equal(rx.received[0].verified, true);
});

test("flaky: about half of 200 distinct ids fail their first attempt (deterministically by id), all succeed on the second", async () => {
  rx.control("ana", { mode: "flaky", firstAttempts: 0.5, failures: ["500", "429", "drop", "slow"], ms: 400 });
  const ids = Array.from({ length: 200 }, (_, i) => `msg_flaky_${i}`);
  const expectFail = new Set(ids.filter((id) => stableFraction(id) < 0.5));
  const ts = nowSec();
  const attempt = async (id) => {
    const body = JSON.stringify({ type: "lead.created", data: { v: 1, lead_id: id } });
    try {
      return (await post("/hooks/ana", body, signed(body, { id, ts }), { timeoutMs: 150 })).status;
    } catch {
      return "error";
    }
  };
  const run = async () => {
    const out = new Map();
    for (let i = 0; i < ids.length; i += 25) {
      const batch = ids.slice(i, i + 25);
      const got = await Promise.all(batch.map(attempt));
      batch.forEach((id, j) => out.set(id, got[j]));
    }
    return out;
  };
  const first = await run();
  const failed = ids.filter((id) => first.get(id) !== 200);
  assert.ok(failed.length >= 70 && failed.length <= 130, `${failed.length} of 200 first attempts failed`);
  assert.deepEqual(new Set(failed), expectFail, "which ids fail is a stable function of the id");
  const kinds = new Set(rx.received.filter((r) => r.injected).map((r) => r.injected));
  assert.deepEqual(kinds, new Set(["500", "429", "drop", "slow"]));
  const tooMany = rx.received.find((r) => r.answered === 429);
  assert.ok(tooMany, "a 429 was answered");

  const second = await run();
  assert.deepEqual(ids.filter((id) => second.get(id) !== 200), [], "every second attempt succeeds");
  const seconds = rx.received.filter((r) => r.attempt === 2);
  assert.equal(seconds.length, 200);
  // Second attempts of ids that failed are not duplicates; of ids that succeeded, they are.
  for (const r of seconds) assert.equal(r.duplicate === true, !expectFail.has(r.id), r.id);
});

test("waitFor resolves with the records, and times out with a clear message", async () => {
  const body = JSON.stringify(sampleEvent());
  setTimeout(() => post("/hooks/ana", body, signed(body)), 50);
  const recs = await rx.waitFor((rs) => rs.some((r) => r.verified), 2000);
  assert.equal(recs[0].name, "ana");
  await assert.rejects(rx.waitFor((rs) => rs.length > 5, 100), /waitFor: condition not met within 100 ms; 1 request\(s\) received/);
});

test("GET /_received and POST /_reset serve other processes", async () => {
  const body = JSON.stringify(sampleEvent());
  await post("/hooks/ana", body, signed(body));
  await post("/slack/ana", JSON.stringify({ text: "hello" }));
  const all = await (await fetch(`${rx.url}/_received`)).json();
  assert.deepEqual(all.map((r) => r.kind), ["webhook", "slack"]);
  assert.equal(all[0].verified, true);
  const onlySlack = await (await fetch(`${rx.url}/_received?kind=slack`)).json();
  assert.equal(onlySlack.length, 1);
  assert.equal((await post("/_reset", "")).status, 200);
  assert.deepEqual(await (await fetch(`${rx.url}/_received`)).json(), []);
  assert.equal(rx.received.length, 0);
});

test("bad input never crashes it: non-JSON, 1 MB cap (413), wrong method, bad paths", async () => {
  const garbage = "\u0000\uffff not json at all";
  let res = await post("/hooks/ana", garbage, signed(garbage));
  assert.equal(res.status, 400, "verified but not JSON");
  assert.equal(rx.received.at(-1).verified, true);
  assert.equal(rx.received.at(-1).event, null);
  res = await post("/hooks/ana", garbage, { "webhook-id": "x", "webhook-timestamp": "nope", "webhook-signature": "v1" });
  assert.equal(res.status, 401);

  const huge = "x".repeat(1024 * 1024 + 1);
  res = await post("/hooks/ana", huge, signed(huge));
  assert.equal(res.status, 413);
  res = await post("/slack/ana", huge);
  assert.equal(res.status, 413);
  assert.equal(rx.received.at(-1).answered, 413);

  assert.equal((await fetch(`${rx.url}/hooks/ana`)).status, 405);
  assert.equal((await fetch(`${rx.url}/hooks/%E0%A4%A`)).status, 400);
  assert.equal((await fetch(`${rx.url}/nowhere`)).status, 404);
  // Still serving.
  const ok = JSON.stringify(sampleEvent());
  assert.equal((await post("/hooks/ana", ok, signed(ok))).status, 200);
});

// --- Slack's wire format -----------------------------------------------------------

const validSlack = () => ({
  text: "New A lead: Ana Souza (Acme Industrial)",
  blocks: [
    { type: "header", text: { type: "plain_text", text: "New A lead — Acme Industrial", emoji: true } },
    {
      type: "section",
      text: { type: "mrkdwn", text: "*Ana Souza*, VP Revenue at *Acme Industrial*\n<mailto:ana.souza@acme-industrial.de|ana.souza@acme-industrial.de>" },
      fields: [{ type: "mrkdwn", text: "*Grade*\nA (80)" }, { type: "mrkdwn", text: "*SLA*\n15 min" }],
      accessory: { type: "button", text: { type: "plain_text", text: "Open lead" }, url: "http://127.0.0.1:8787/v1/leads/01JD" },
    },
    { type: "context", elements: [{ type: "mrkdwn", text: "utm_source=google · playbook `3f2a`" }, { type: "image", image_url: "https://www.northwind.example/logo.png", alt_text: "logo" }] },
    { type: "divider" },
    { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Book a call" }, url: "https://cal.northwind.example/ana", style: "primary" }] },
    { type: "image", image_url: "https://www.northwind.example/chart.png", alt_text: "score chart" },
    { type: "rich_text", elements: [{ type: "rich_text_section", elements: [{ type: "text", text: "bold bit", style: { bold: true } }] }] },
  ],
});

test("the Slack stand-in accepts a valid Block Kit message (and text alone) with 200 ok", async () => {
  let res = await post("/slack/ana", JSON.stringify(validSlack()), { "content-type": "application/json" });
  assert.equal(res.status, 200);
  assert.equal(res.text, "ok");
  assert.match(res.headers.get("content-type"), /^text\/plain/);
  const r = rx.received[0];
  assert.equal(r.kind, "slack");
  assert.equal(r.name, "ana");
  assert.equal(r.valid, true);
  assert.deepEqual(r.message, validSlack());
  assert.equal(r.answered, 200);
  res = await post("/slack/ana", JSON.stringify({ text: "plain" }), { "content-type": "application/json" });
  assert.equal(res.status, 200);
  // Slack's form encoding works too.
  res = await post("/slack/ana", `payload=${encodeURIComponent(JSON.stringify({ text: "form" }))}`, { "content-type": "application/x-www-form-urlencoded" });
  assert.equal(res.status, 200);
});

test("the Slack stand-in refuses each invalid shape with 400 invalid_payload", async () => {
  const withBlocks = (blocks) => JSON.stringify({ text: "t", blocks });
  const section = (extra) => ({ type: "section", ...extra });
  const cases = {
    "not JSON": "{nope",
    "neither text nor blocks": JSON.stringify({ username: "x" }),
    "empty text": JSON.stringify({ text: "" }),
    "blocks not an array": JSON.stringify({ blocks: { type: "divider" } }),
    "51 blocks": withBlocks(Array.from({ length: 51 }, () => ({ type: "divider" }))),
    "unknown block type": withBlocks([{ type: "carousel" }]),
    "section text over 3000": withBlocks([section({ text: { type: "mrkdwn", text: "x".repeat(3001) } })]),
    "header over 150": withBlocks([{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }]),
    "header not plain_text": withBlocks([{ type: "header", text: { type: "mrkdwn", text: "h" } }]),
    "11 fields": withBlocks([section({ fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) })]),
    "field over 2000": withBlocks([section({ fields: [{ type: "mrkdwn", text: "f".repeat(2001) }] })]),
    "26 action elements": withBlocks([{ type: "actions", elements: Array.from({ length: 26 }, (_, i) => ({ type: "button", text: { type: "plain_text", text: `b${i}` } })) }]),
    "section without text or fields": withBlocks([section({})]),
  };
  for (const [what, body] of Object.entries(cases)) {
    rx.reset();
    const res = await post("/slack/ana", body, { "content-type": "application/json" });
    assert.equal(res.status, 400, what);
    assert.equal(res.text, "invalid_payload", what);
    assert.equal(rx.received[0].valid, false, what);
    assert.equal(rx.received[0].answered, 400, what);
    assert.ok(rx.received[0].error, what);
  }
  assert.equal(slackMessageError(validSlack()), null);
  assert.equal(slackMessageError({ blocks: Array.from({ length: 50 }, () => ({ type: "divider" })) }), null, "50 blocks is fine");
});

// --- What the rep sees ----------------------------------------------------------

async function page(query = "") {
  const res = await fetch(`${rx.url}/${query}`);
  return { csp: res.headers.get("content-security-policy"), html: await res.text() };
}

test("the page renders the lead, escapes a <script> name, and locks scripts to a CSP nonce", async () => {
  const evil = sampleEvent();
  evil.data.contact.name = "<script>alert(1)</script>";
  evil.data.context.referrer = "javascript:alert(2)";
  const body = JSON.stringify(evil);
  const h = signed(body);
  await post("/hooks/ana", body, h);
  await post("/hooks/ana", body, h); // a retry: same card, 2 attempts
  const bad = JSON.stringify(sampleEvent({ lead_id: "01JDFORGED" }));
  await post("/hooks/ana", bad, signed(bad, { secret: OTHER }));
  const { csp, html } = await page();

  assert.ok(!html.includes("<script>alert"), "no raw script from the payload");
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(!/href="javascript:/i.test(html), "no javascript: links");
  const scripts = html.match(/<script\b[^>]*>/g);
  assert.equal(scripts.length, 1, "exactly one script: the page's own");
  const nonce = /nonce="([^"]+)"/.exec(scripts[0])[1];
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, "\\$&")}'`));
  assert.match(csp, /default-src 'none'/);

  assert.equal(html.match(/data-id="/g).length, 2, "two cards: the retry is deduplicated");
  assert.match(html, /2 attempts: 200 → 200 \(duplicate\)/);
  assert.match(html, /signature verified/);
  assert.match(html, /signature INVALID/);
  for (const bit of ["Acme Industrial", "VP Revenue", "ana.souza@acme-industrial.de", "+49 30 1234567", ">A<", "80 pts", "+25",
    "Mid-market: 200 to 5,000 employees", "employees is 800, between 200 and 5000", "3f2a9c0d11e2", "EMEA Enterprise",
    "country DE is in EMEA", "named_account", "Ana Souza", "booking link", "15 min", 'datetime="2026-12-02T14:18:11.000Z"',
    "utm_source=<b>google</b>", "utm_campaign=<b>q4-forecasting</b>", "https://www.northwind.example/pricing", "<code>/pricing</code>",
    "browser and edge agree", 'href="https://www.northwind.example/cases/logistics"', "How a logistics firm forecasts", "Number of employees"]) {
    assert.ok(html.includes(bit), `page shows ${bit}`);
  }
  // The fragment the live refresh fetches is the same cards.
  const frag = await (await fetch(`${rx.url}/?fragment=1`)).text();
  assert.ok(frag.includes("&lt;script&gt;alert(1)") && !frag.includes("<script"));
});

test("alerts render as a red alert card", async () => {
  const body = JSON.stringify({ type: "delivery.failed", timestamp: "2026-12-02T14:20:00Z", data: { v: 1, lead_id: "01JDX", lead_url: "http://127.0.0.1:8787/v1/leads/01JDX", channel: "webhook:ana", delivery_id: "dlv_1", attempts: 8, last_error: "HTTP 500" } });
  await post("/hooks/ana", body, signed(body));
  const { html } = await page();
  assert.match(html, /class="card alert"/);
  assert.match(html, /Delivery failed/);
  assert.match(html, /HTTP 500/);
  assert.match(html, /dlv_1/);
});

test("a missed deadline renders as an alert naming who missed it and who has it now; a lead shows its feedback links", async () => {
  const missed = JSON.stringify({ type: "sla.missed", timestamp: "2026-12-02T14:20:00Z", data: {
    v: 1, lead_id: "01JSLA", lead_url: "http://127.0.0.1:8787/v1/leads/01JSLA", contact: { name: "Ada", company: "Analytical" },
    grade: "A", score: 80, minutes: 15, due_at: "2026-12-02T14:15:00Z",
    missed_by: { id: "ana", name: "Ana Souza" }, reassigned_to: { id: "jonas", name: "Jonas Weber" } } });
  await post("/hooks/rita", missed, signed(missed));
  const feedback = Object.fromEntries(["accepted", "rejected", "contacted", "meeting_booked", "won", "lost"]
    .map((a) => [a, `http://127.0.0.1:8787/v1/feedback?lead=01JFB&a=${a}&by=ana&exp=1&sig=x`]));
  const lead = JSON.stringify({ type: "lead.reassigned", timestamp: "2026-12-02T14:20:00Z", data: {
    v: 1, lead_id: "01JFB", contact: { name: "Grace" }, grade: "A", score: 80, feedback: { ...feedback, expires_at: "2027-01-01T00:00:00Z" } } });
  await post("/hooks/ana", lead, signed(lead));
  const { html } = await page();
  assert.match(html, /Follow-up deadline missed/);
  assert.match(html, /Ana Souza · ana/);
  assert.match(html, /Jonas Weber · jonas/);
  assert.match(html, /reassigned to you/);
  for (const a of ["accepted", "won", "rejected"]) assert.ok(html.includes(`a=${a}&amp;by=ana`), `the ${a} link`);
  assert.match(html, />Accept</);
});

test("Slack Block Kit renders as Slack shows it: mrkdwn bold/links, escaping decoded once, payload HTML escaped", async () => {
  const msg = validSlack();
  msg.blocks[1].text.text = "*Kim &amp; Co* <https://example.com/x?a=1&amp;b=2|Book a call> &lt;script&gt;alert(3)&lt;/script&gt; <script>alert(4)</script> &amp;lt; _it_ ~gone~ `a<b` <https://bare.example/>\nline two <javascript:alert(5)|click>";
  await post("/slack/ana", JSON.stringify(msg), { "content-type": "application/json" });
  const { html } = await page();
  assert.ok(!html.includes("<script>alert"), "no raw script from the message");
  assert.ok(html.includes("<b>Kim &amp; Co</b>"), "bold, &amp; decoded once then escaped");
  assert.ok(html.includes('<a href="https://example.com/x?a=1&amp;b=2" rel="noopener noreferrer" target="_blank">Book a call</a>'));
  assert.ok(html.includes("&lt;script&gt;alert(3)&lt;/script&gt;"));
  assert.ok(html.includes("&lt;script&gt;alert(4)&lt;/script&gt;"));
  assert.ok(html.includes("&amp;lt;"), "&amp;lt; shows as the text &lt;");
  assert.ok(html.includes("<i>it</i>") && html.includes("<s>gone</s>") && html.includes("<code>a&lt;b</code>"));
  assert.ok(html.includes('>https://bare.example/</a>'));
  assert.ok(html.includes("<br>line two"));
  assert.ok(!/href="javascript:/i.test(html));
  assert.ok(html.includes('<div class="sheader">New A lead — Acme Industrial</div>'));
  assert.ok(html.includes('href="https://cal.northwind.example/ana"') && html.includes("Book a call"));
  assert.ok(html.includes("<hr>"));
  assert.ok(html.includes('src="https://www.northwind.example/chart.png"'));
  assert.ok(html.includes("<b>Grade</b><br>A (80)"));
  assert.ok(html.includes("<b>bold bit</b>"));

  // The renderer alone, for the finer points.
  assert.equal(mrkdwnToHtml("snake_case_name and 2*3*4"), "snake_case_name and 2*3*4");
  assert.equal(mrkdwnToHtml("*<https://a.example|A>*"), '<b><a href="https://a.example/" rel="noopener noreferrer" target="_blank">A</a></b>');
  assert.equal(mrkdwnToHtml("<@U123> <#C1|sales> <!here>"), '<span class="mention">@U123</span> <span class="mention">#sales</span> <span class="mention">@here</span>');
  assert.equal(mrkdwnToHtml("\uE000" + "0\uE001"), "\uFFFD0\uFFFD", "placeholders cannot be forged");
});

test("the page refreshes live: /events pushes a tick on every record", async () => {
  const ticks = [];
  const req = request(`${rx.url}/events`);
  const got = new Promise((ok) => {
    req.on("response", (res) => {
      assert.match(res.headers["content-type"], /text\/event-stream/);
      res.setEncoding("utf8");
      res.on("data", (d) => {
        ticks.push(...d.split("\n").filter((l) => l.startsWith("data:")));
        if (ticks.length >= 2) ok();
      });
    });
  });
  req.end();
  await new Promise((ok) => setTimeout(ok, 50));
  const body = JSON.stringify(sampleEvent());
  await post("/hooks/ana", body, signed(body));
  await got;
  req.destroy();
  assert.deepEqual(ticks.slice(0, 2), ["data: 0", "data: 1"]);
});

// --- The demo CLI ----------------------------------------------------------------------

test(".dev.vars parsing maps WEBHOOK_URL_X's hook name to WEBHOOK_SECRET_X", () => {
  const vars = parseDotenv([
    "# a comment",
    "WEBHOOK_URL_ANA=http://127.0.0.1:8788/hooks/ana",
    'WEBHOOK_SECRET_ANA="whsec_abc"',
    "export WEBHOOK_URL_JONAS='http://127.0.0.1:8788/hooks/jonas'",
    "WEBHOOK_SECRET_JONAS=whsec_def # trailing comment",
    "WEBHOOK_URL_SAM=http://127.0.0.1:8788/hooks/sam",
    "SLACK_WEBHOOK_URL_ANA=http://127.0.0.1:8788/slack/ana",
    "not a line",
  ].join("\n"));
  assert.equal(vars.WEBHOOK_SECRET_ANA, "whsec_abc");
  assert.equal(vars.WEBHOOK_SECRET_JONAS, "whsec_def");
  assert.deepEqual(secretsFromVars(vars), { ana: "whsec_abc", jonas: "whsec_def" });
});

test("node scripts/demo-receiver.mjs prints its address, verifies with .dev.vars secrets, stops on SIGTERM", async () => {
  const dir = await mkdtemp(join(tmpdir(), "baton-receiver-"));
  try {
    const secret = newSecret();
    const file = join(dir, ".dev.vars");
    await writeFile(file, `WEBHOOK_URL_ANA="http://127.0.0.1:8788/hooks/ana"\nWEBHOOK_SECRET_ANA="${secret}"\n`);
    const child = spawn(process.execPath, [join(ROOT, "scripts", "demo-receiver.mjs"), "--port", "0", "--dev-vars", file], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((ok) => child.once("exit", (code) => ok(code)));
    let out = "";
    const line = await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no address printed: ${out}`)), 5000);
      child.stdout.on("data", (d) => {
        out += d;
        const m = /^demo receiver: (http:\/\/127\.0\.0\.1:\d+)\/ \((\d+) webhook secrets?\)$/m.exec(out);
        if (m) { clearTimeout(timer); ok(m); }
      });
    });
    assert.equal(line[2], "1");
    const body = JSON.stringify(sampleEvent());
    const res = await fetch(`${line[1]}/hooks/ana`, { method: "POST", body, headers: signed(body, { secret }) });
    assert.equal(res.status, 200);
    const recs = await (await fetch(`${line[1]}/_received`)).json();
    assert.equal(recs[0].verified, true);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a Slack date token shows the deadline as a time, not its fallback text", () => {
  const html = mrkdwnToHtml("Follow up by <!date^1764670500^{date_short_pretty} at {time}|2025-12-02T10:15:00Z>");
  assert.equal(html, "Follow up by Dec 2, 2025 at 10:15 UTC");
  assert.equal(slackDate(1764670500, "{date_num}"), "2025-12-02");
});
