// A playbook experiment end to end: icp.toml's `[experiment]` serves
// experiments/demo-b.toml to half of the visitors. The arm comes from a
// visitor id (the loader's `baton:vid`), computed by the Worker (Rust in
// wasm on workerd), by the widget (Rust in wasm in Chromium) and here (an
// independent JavaScript implementation, support/experiment.mjs): all three
// must agree for every visitor. Each lead records its arm, and the report
// puts the arms side by side.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { ROOT, post, startWorker } from "./support/worker.mjs";
import { launch, until } from "./support/browser.mjs";
import { bakery, leadPost } from "./support/leads.mjs";
import { bucket, demoExperiment, visitorIn } from "./support/experiment.mjs";
import { devVars } from "../scripts/dev-vars.mjs";

const exp = demoExperiment();
const ADMIN_TOKEN = "experiments-test-admin-token";
let w;
let versions;
before(async () => {
  const vars = { ...devVars(await readFile(join(ROOT, "icp.toml"), "utf8"), 9), ADMIN_TOKEN };
  w = await startWorker({ vars });
  const health = await (await fetch(`${w.url}/v1/health`)).json();
  versions = Object.fromEntries(health.forms.map((f) => [f.id, f.version]));
});
after(async () => {
  await w?.stop();
});

const armOf = (visitor) => (bucket(exp.id, visitor) < exp.share ? exp.variant : "demo");
const visitors = Array.from({ length: 40 }, (_, i) => `visitor-${i}-${(i * 7919).toString(36)}x`);

describe("a playbook experiment", () => {
  it("is declared as the demo's, with a variant the Worker serves", () => {
    assert.deepEqual(exp, { id: "mql-bar", variant: "demo-b", share: 50 });
    assert.ok(versions["demo"] && versions["demo-b"], JSON.stringify(versions));
    assert.notEqual(versions["demo"], versions["demo-b"]);
  });

  it("serves every visitor the arm their bucket says, the copy and the HTML alike", async () => {
    const arms = new Set();
    for (const v of visitors) {
      const want = armOf(v);
      arms.add(want);
      const copy = await (await fetch(`${w.url}/v1/forms/demo?visitor=${v}`)).json();
      assert.equal(copy.id, want, v);
      assert.deepEqual(copy.published.experiment, { id: "mql-bar", control: "demo", variant: "demo-b", share: 50 });
      const html = await fetch(`${w.url}/v1/forms/demo/html?locale=en&visitor=${v}`);
      assert.equal(html.status, 200);
      assert.ok(html.headers.get("etag").includes(versions[want]), `${v}: ${html.headers.get("etag")}`);
      assert.match(await html.text(), /<form/);
    }
    assert.deepEqual([...arms].sort(), ["demo", "demo-b"], "40 visitors fall in both arms");
    // No visitor id, or one that is not one: the control. The variant by its own id: the variant.
    for (const q of ["", "?visitor=", "?visitor=short", `?visitor=${"x".repeat(65)}`, "?visitor=has%20space%20in"]) {
      assert.equal((await (await fetch(`${w.url}/v1/forms/demo${q}`)).json()).id, "demo", q);
    }
    assert.equal((await (await fetch(`${w.url}/v1/forms/demo-b`)).json()).id, "demo-b");
  });

  it("scores a lead with its arm's playbook and records the arm on the lead", async () => {
    // 35 points (size-growing 10, core-region 10, buying-this-year 10,
    // forecasting-interest 5): grade C in the control (B from 45), B and
    // qualified in the variant (B from 35).
    const lead = (visitor, arm) => {
      const s = bakery();
      s.fields.interests = ["forecasting"];
      s.context = { visitor_id: visitor, ...(arm ? { arm } : {}) };
      return s;
    };
    const [inB, inA] = [visitorIn("variant", 3), visitorIn("control", 3)];
    const b = await post(`${w.url}/v1/leads`, leadPost(lead(inB, "demo-b")), { origin: "http://localhost:8787" });
    const a = await post(`${w.url}/v1/leads`, leadPost(lead(inA)), { origin: "http://localhost:8787" });
    // A browser that computed the other arm: the edge serves the bucket's, and says they disagree.
    const wrong = await post(`${w.url}/v1/leads`, leadPost(lead(inB, "demo")), { origin: "http://localhost:8787" });
    for (const r of [a, b, wrong]) assert.equal(r.status, 201, r.text);
    assert.deepEqual([b.body.decision.grade, b.body.decision.qualified], ["B", true]);
    assert.deepEqual([a.body.decision.grade, a.body.decision.qualified], ["C", false]);
    const row = async (id) => (await w.sql(`select form_id, playbook_version, experiment from leads where id = '${id}'`))[0];
    const rb = await row(b.body.lead_id);
    assert.equal(rb.form_id, "demo-b");
    assert.equal(rb.playbook_version, versions["demo-b"]);
    assert.deepEqual(JSON.parse(rb.experiment), { id: "mql-bar", arm: "demo-b", bucket: bucket("mql-bar", inB), browser_arm: "demo-b", agrees: true });
    const ra = await row(a.body.lead_id);
    assert.equal(ra.form_id, "demo");
    assert.deepEqual(JSON.parse(ra.experiment), { id: "mql-bar", arm: "demo", bucket: bucket("mql-bar", inA), browser_arm: null, agrees: null });
    assert.equal(JSON.parse((await row(wrong.body.lead_id)).experiment).agrees, false);
    // A lead without a visitor id is the control's, but in neither arm's
    // count: only visitors the bucket placed are compared.
    const none = await post(`${w.url}/v1/leads`, leadPost(bakery()), { origin: "http://localhost:8787" });
    const rn = await row(none.body.lead_id);
    assert.deepEqual([rn.form_id, rn.experiment], ["demo", null]);
  });

  it("the widget in Chromium computes the arm the edge serves, and the lead says they agree", async () => {
    for (const arm of ["variant", "control"]) {
      const visitor = visitorIn(arm, 7);
      const browser = await launch({ visitor });
      try {
        const page = await browser.context.newPage();
        const asked = [];
        page.on("request", (r) => asked.push(r.url()));
        await page.goto(`${w.url}/`);
        await page.locator("baton-form[data-live]").first().waitFor({ timeout: 20_000 });
        // The loader asked for the pre-rendered form, and the widget for its copy, as this visitor.
        assert.ok(asked.some((u) => u.includes("/v1/forms/demo/html?") && u.includes(`visitor=${visitor}`)), asked.join("\n"));
        assert.ok(asked.some((u) => u.endsWith(`/v1/forms/demo?visitor=${visitor}`)), asked.join("\n"));
        const label = (t) => page.getByLabel(t, { exact: false }).first();
        await label("Work email").fill(`kim@${arm}-bakery-${process.pid}.de`);
        await label("Full name").fill("Kim Berger");
        await label("Company").fill("Small Bakery");
        await label("Number of employees").fill("60");
        await label("Country").selectOption("DE");
        await label("When do you want to start?").selectOption("this-year");
        await label("Revenue forecasting").click();
        await label("I agree that Northwind may contact me").click();
        const answer = page.waitForResponse((r) => r.url().endsWith("/v1/leads") && r.request().method() === "POST", { timeout: 20_000 });
        await page.getByRole("button", { name: "Talk to sales" }).first().click();
        const res = await answer;
        assert.equal(res.status(), 201, await res.text());
        const sent = JSON.parse(res.request().postData());
        const want = arm === "variant" ? "demo-b" : "demo";
        assert.equal(sent.form, "demo", "the page embeds the demo form; the edge picks the arm");
        assert.equal(sent.submission.context.visitor_id, visitor);
        assert.equal(sent.submission.context.arm, want, "the browser's own computation");
        assert.equal(sent.claimed.version, versions[want], "the widget scored with its arm's copy");
        const { lead_id: id, decision } = await res.json();
        assert.equal(decision.grade, arm === "variant" ? "B" : "C");
        const [row] = await until("the lead in D1", () => w.sql(`select form_id, agreement, experiment from leads where id = '${id}'`));
        assert.equal(row.form_id, want);
        assert.equal(row.agreement, "match", "the browser's verdict is the edge's");
        assert.equal(JSON.parse(row.experiment).agrees, true);
      } finally {
        await browser.close();
      }
    }
  });

  it("the report puts the arms side by side", async () => {
    const res = await fetch(`${w.url}/v1/reports?form=demo`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    const report = await res.json();
    const [e] = report.experiments;
    assert.equal(e.id, "mql-bar");
    const arms = e.arms.map((a) => [a.form, a.role]);
    assert.deepEqual(arms, [["demo", "control"], ["demo-b", "variant"]]);
    const [control, variant] = e.arms;
    // Control: one posted lead (C) and the widget's (C); variant: two posted (B) and the widget's (B).
    assert.equal(control.funnel.leads, 2);
    assert.equal(control.funnel.qualified, 0);
    assert.equal(variant.funnel.leads, 3);
    assert.equal(variant.funnel.qualified, 3);
    assert.equal(variant.qualified_rate, 1);
    assert.deepEqual(variant.versions, [versions["demo-b"]]);
    assert.equal(e.disagreements, 1);
    assert.ok(e.qualified_z > 1.96, `z ${e.qualified_z}`);
    // Views: every pre-rendered form served to a bucketed visitor, the 40
    // visitors' fetches above and the page each Chromium visitor loaded.
    const inArm = (arm) => visitors.filter((v) => armOf(v) === arm).length + 1;
    assert.deepEqual(e.arms.map((a) => [a.form, a.views]), [["demo", inArm("demo")], ["demo-b", inArm("demo-b")]]);
    assert.equal(variant.conversion, Math.round((3 / inArm("demo-b")) * 10_000) / 10_000);
    // The export has every lead of both forms, the one without a visitor id too.
    const csv = await (await fetch(`${w.url}/v1/reports/leads.csv?form=demo`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const head = csv.split("\r\n")[0].split(",");
    assert.equal(head.at(-1), "experiment");
    assert.equal(csv.trim().split("\r\n").length, 1 + 6, "six leads of both forms");
  });

  it("the report page draws the arms side by side", async () => {
    const browser = await launch();
    try {
      const page = await browser.context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${w.url}/report.html#token=${ADMIN_TOKEN}`);
      await until("the report is drawn", () => page.evaluate(() => document.body.dataset.ready));
      const box = page.locator('[data-experiment="mql-bar"]');
      assert.equal(await page.locator("#experiments-box").isVisible(), true);
      const bars = await box.evaluate((b) => [...b.querySelectorAll('rect[data-series="qualified"]')]
        .map((r) => [r.dataset.key, Number(r.dataset.value)]));
      assert.deepEqual(bars, [["demo", 0], ["demo-b", 3]]);
      assert.deepEqual(await box.locator("tr[data-arm]").evaluateAll((rows) => rows.map((r) => r.dataset.arm)), ["demo", "demo-b"]);
      assert.match(await box.locator("tr[data-arm=demo-b]").textContent(), /100 %/);
      assert.equal(await box.locator("p.note").getAttribute("data-verdict"), "differs");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
