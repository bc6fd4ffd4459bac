// The closed loop, on the real pieces: leads posted to the Worker on workerd
// (local D1 and Queues), delivered to a real receiver on loopback, answered
// by sales through the outcomes API, then read back as the report (JSON),
// the CSV export, and the report page rendered in headless Chromium.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { ROOT, post, startWorker } from "./support/worker.mjs";
import { startReceiver, secretsFromVars } from "./support/receiver.mjs";
import { bakery, emeaVp, leadPost } from "./support/leads.mjs";
import { launch, until } from "./support/browser.mjs";
import { devVars } from "../scripts/dev-vars.mjs";

let rx, w, vars, browser;
const seeded = {};

before(async () => {
  const secrets = {};
  rx = await startReceiver({ secrets });
  vars = devVars(await readFile(join(ROOT, "icp.toml"), "utf8"), rx.port);
  Object.assign(secrets, secretsFromVars(vars));
  w = await startWorker({ vars });
  browser = await launch();

  const admin = { authorization: `Bearer ${vars.ADMIN_TOKEN}` };
  const lead = async (sub) => {
    const res = await post(`${w.url}/v1/leads`, leadPost(sub));
    assert.equal(res.status, 201, res.text);
    return res.body.lead_id;
  };
  const outcome = async (id, body) => {
    const res = await post(`${w.url}/v1/leads/${id}/outcomes`, body, admin);
    assert.equal(res.status, 201, res.text);
  };
  const linkedin = { utm: { source: "linkedin", medium: "paid", campaign: "q4-forecasting" }, pages_seen: ["/"] };
  // Four grade-A leads from LinkedIn, one from G2, two grade-C bakeries
  // (direct), and one post with field errors (stored, never a lead).
  const a = [];
  for (let i = 0; i < 4; i++) a.push(await lead({ ...emeaVp(), context: linkedin }));
  const g2 = await lead({ ...emeaVp({ company: "=HYPERLINK(\"http://evil.example\")" }), context: { referrer: "https://www.g2.com/compare/x", utm: { campaign: "=cmd" } } });
  const c = [await lead(bakery()), await lead(bakery())];
  const bad = await post(`${w.url}/v1/leads`, leadPost({ locale: "en", fields: { email: "nope" } }));
  assert.equal(bad.status, 422);
  // Every lead reaches its rep before sales answers (speed to lead needs it).
  await rx.waitFor(() => new Set(rx.received.filter((r) => r.kind === "webhook" && r.answered < 300).map((r) => r.event?.data?.lead_id)).size === 7, 10_000);

  await outcome(a[0], { action: "accepted", by: "crm" });
  await outcome(a[0], { action: "won", by: "crm", amount: 48_000 });
  await outcome(a[1], { action: "contacted", by: "crm" });
  await outcome(a[1], { action: "lost", by: "crm", reason: "Price" });
  await outcome(a[2], { action: "rejected", by: "crm", reason: "Not a fit" });
  await outcome(c[0], { action: "rejected", by: "crm", reason: "Not a fit" });
  await outcome(c[1], { action: "rejected", by: "crm", reason: "Student or job seeker" });
  Object.assign(seeded, { a, g2, c });
});

after(async () => {
  await browser?.close();
  await w?.stop();
  await rx?.stop();
});

const get = (path, headers = { authorization: `Bearer ${vars.ADMIN_TOKEN}` }) => fetch(`${w.url}${path}`, { headers });

describe("GET /v1/reports", () => {
  it("refuses without the admin token, and says what is wrong with a window", async () => {
    assert.equal((await get("/v1/reports", {})).status, 401);
    assert.equal((await get("/v1/reports", { authorization: "Bearer nope" })).status, 403);
    const bad = await get("/v1/reports?since=yesterday");
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /since/);
    // Only RFC 3339 times: what `Date.parse` would stretch to a date is refused.
    for (const v of ["0.5", "1", "Dec 1", "2026-12-01"]) {
      assert.equal((await get(`/v1/reports?since=${encodeURIComponent(v)}`)).status, 400, v);
    }
    assert.equal((await get("/v1/reports?form=nope")).status, 404);
    assert.equal((await get("/v1/reports?sort=up")).status, 400);
    // Each bound reads, but together they name no window: 422, not 400.
    for (const path of ["/v1/reports", "/v1/reports/leads.csv"]) {
      const reversed = await get(`${path}?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z`);
      assert.equal(reversed.status, 422, path);
      const { error } = await reversed.json();
      assert.equal(error.code, "invalid_window");
      assert.match(error.message, /`since` must be before `until`/);
    }
  });

  it("counts what marketing delivered and what sales made of it, per playbook version", async () => {
    const res = await get("/v1/reports?form=demo");
    assert.equal(res.status, 200);
    const r = await res.json();
    assert.equal(r.versions.length, 1);
    const v = r.versions[0];
    const [{ version }] = (await (await fetch(`${w.url}/v1/health`)).json()).forms;
    assert.equal(v.version, version);
    const t = v.totals;
    assert.equal(t.leads, 7, "the post with field errors is not a lead");
    assert.equal(t.qualified, 5);
    assert.equal(t.won, 1);
    assert.equal(t.revenue, 48_000);
    assert.equal(t.average_deal, 48_000);
    assert.equal(t.lost, 1);
    assert.equal(t.acceptance_rate, 0.25, "1 accepted of 4 answered");
    const a = v.by_grade.find((g) => g.key === "A");
    assert.deepEqual([a.leads, a.accepted, a.rejected, a.won, a.lost], [5, 1, 1, 1, 1]);
    assert.equal(v.by_grade.find((g) => g.key === "C").rejected, 2);
    assert.deepEqual(v.rejection_reasons, [{ key: "Not a fit", count: 2 }, { key: "Student or job seeker", count: 1 }]);
    assert.deepEqual(v.loss_reasons, [{ key: "Price", count: 1 }]);
    const source = Object.fromEntries(v.by_source.map((s) => [s.key, s]));
    assert.equal(source.linkedin.leads, 4);
    assert.equal(source.linkedin.won, 1);
    assert.equal(source.linkedin.revenue, 48_000);
    assert.equal(source["g2.com"].leads, 1, "no utm_source: the referrer's host");
    assert.equal(source.direct.leads, 2);
    assert.equal(v.by_campaign.find((c) => c.key === "q4-forecasting").leads, 4);
    assert.ok(v.by_rule.length > 0 && v.by_rule.every((b) => b.leads > 0));
    assert.equal(v.speed.system_ms.n, 7, "every lead was delivered");
    assert.ok(v.speed.system_ms.p50 < 5_000, `submit → delivered ${v.speed.system_ms.p50} ms`);
    assert.equal(v.speed.human_ms.n, 2, "two leads were touched (accepted, contacted)");
    assert.equal(v.speed.sla_minutes, 15);
    assert.equal(v.speed.first_touch_minutes.reduce((n, b) => n + b.count, 0), 2);
    const met = v.by_rep.reduce((n, s) => n + s.met, 0);
    assert.equal(met, 2, "both touches were within the deadline");
    assert.equal(v.mismatches, 0);
    assert.equal((await (await get("/v1/reports?since=2020-01-01T00:00:00Z&until=2020-02-01T00:00:00Z")).json()).versions.length, 0);
  });
});

/** RFC 4180, for the test: quoted fields with doubled quotes and line breaks. */
function parseCsv(text) {
  const rows = [[]];
  let cell = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { rows.at(-1).push(cell); cell = ""; } else if (ch === "\r" && text[i + 1] === "\n") { rows.at(-1).push(cell); cell = ""; rows.push([]); i++; } else cell += ch;
  }
  if (rows.at(-1).length === 0 && cell === "") rows.pop();
  return rows;
}

describe("GET /v1/reports/leads.csv", () => {
  it("exports every lead with its decision, outcomes and answers, no cell a spreadsheet formula", async () => {
    assert.equal((await get("/v1/reports/leads.csv", {})).status, 401);
    const res = await get("/v1/reports/leads.csv?form=demo");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/csv/);
    const [head, ...rows] = parseCsv(await res.text());
    assert.equal(head[0], "lead_id");
    assert.ok(rows.every((r) => r.length === head.length), "every row has every column");
    assert.equal(rows.length, 8, "7 leads and the invalid post");
    const by = Object.fromEntries(rows.map((r) => [r[0], Object.fromEntries(head.map((h, i) => [h, r[i]]))]));
    const won = by[seeded.a[0]];
    assert.equal(won.outcome, "won");
    assert.equal(won.won_amount, "48000");
    assert.equal(won.grade, "A");
    assert.equal(won.source, "linkedin");
    assert.ok(won.delivered_at && won.first_touch_at);
    assert.equal(JSON.parse(won.answers).country, "DE");
    assert.equal(by[seeded.a[2]].rejected_reason, "Not a fit");
    assert.equal(by[seeded.a[3]].outcome, "open");
    assert.equal(rows.filter((r) => r[head.indexOf("status")] === "invalid").length, 1);
    const hostile = by[seeded.g2];
    assert.equal(hostile.campaign, "'=cmd", "a formula is defused");
    assert.equal(JSON.parse(hostile.answers).company, "=HYPERLINK(\"http://evil.example\")", "answers kept intact inside their JSON");
  });
});

describe("the report page", () => {
  it("draws the numbers a sales leader reads at a glance, from the same report", async () => {
    const page = await browser.context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const res = await page.goto(`${w.url}/report.html#token=${vars.ADMIN_TOKEN}`);
    assert.match(res.headers()["content-security-policy"] ?? "", /default-src 'self'/);
    await until("the report is drawn", () => page.evaluate(() => document.body.dataset.ready));
    assert.equal(new URL(page.url()).hash, "", "the token leaves the URL at once");
    const tile = (k) => page.locator(`[data-tile="${k}"] b`).textContent();
    assert.equal(await tile("leads"), "7");
    assert.equal(await tile("qualified"), "5");
    assert.equal(await tile("revenue"), "48,000");
    assert.equal(await tile("acceptance"), "25 %");
    const bars = (chart, series) => page.evaluate(([c, s]) => [...document.querySelectorAll(`#${c} rect[data-key]${s ? `[data-series="${s}"]` : ""}`)]
      .map((r) => [r.dataset.key, Number(r.dataset.value)]), [chart, series]);
    const day = new Date().toISOString().slice(0, 10);
    assert.deepEqual(await bars("volume", "qualified"), [[day, 5]]);
    assert.deepEqual(await bars("grades", "won"), [["A", 1], ["C", 0]]);
    assert.deepEqual(await bars("rejections"), [["Not a fit", 2], ["Student or job seeker", 1]]);
    assert.deepEqual(await bars("losses"), [["Price", 1]]);
    const touches = await bars("speed");
    assert.equal(touches.reduce((n, [, v]) => n + v, 0), 2);
    assert.equal(await page.locator("#speed line[data-sla]").getAttribute("data-sla"), "SLA 15 min", "the SLA line");
    assert.ok((await page.locator("#speed-note").textContent()).includes("median"));
    assert.ok((await bars("rules")).length > 0);
    assert.ok((await page.locator("#sla tr[data-rep]").count()) > 0);
    assert.deepEqual(errors, []);
    if (process.env.BATON_SCREENSHOTS) {
      await mkdir(join(ROOT, "docs"), { recursive: true });
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.screenshot({ path: join(ROOT, "docs", "report.png"), fullPage: true });
    }
    await page.close();
  });

  it("a wrong token says so on the page", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${w.url}/report.html#token=wrong-token`);
    await until("the refusal is shown", async () => (await page.locator("#status.error").count()) > 0);
    assert.match(await page.locator("#status").textContent(), /not the admin token/);
    assert.equal(await page.locator("#report").isHidden(), true);
    await page.close();
  });
});
