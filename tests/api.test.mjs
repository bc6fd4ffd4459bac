// The edge's HTTP API against the real Worker on workerd with local D1:
// what a widget, an API client or an attacker sees, and what lands in D1.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { startWorker, post } from "./support/worker.mjs";
import { bakery, emeaVp, leadPost } from "./support/leads.mjs";

const ALLOWED = "http://localhost:8787"; // in icp.toml's allowed_origins
const STRANGER = "https://copycat.example";
const ADMIN_TOKEN = "api-test-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let w;
let version;
before(async () => {
  w = await startWorker({ vars: { ADMIN_TOKEN } });
  const health = await (await fetch(`${w.url}/v1/health`)).json();
  version = health.forms.find((f) => f.id === "demo").version;
});
after(async () => {
  await w?.stop();
});

const count = async (where = "1=1") => (await w.sql(`select count(*) as n from leads where ${where}`))[0].n;
async function until(ok, what, timeout = 5_000) {
  const deadline = Date.now() + timeout;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const row = async (id) => (await w.sql(`select * from leads where id = '${id}'`))[0];

describe("GET /v1/forms/{id}", () => {
  it("serves the public playbook with an ETag of its version, cacheable, readable by any page", async () => {
    const res = await fetch(`${w.url}/v1/forms/demo`, { headers: { origin: STRANGER } });
    assert.equal(res.status, 200);
    assert.match(version, /^[0-9a-f]{16}$/);
    assert.equal(res.headers.get("etag"), `"${version}"`);
    assert.equal(res.headers.get("cache-control"), "public, max-age=60");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.match(res.headers.get("content-type"), /^application\/json/);
    const pb = await res.json();
    assert.equal(pb.id, "demo");
    // The removed competitor rule tests the email's domain, so the widget must
    // always ask for the email even where it could otherwise skip it.
    // It is the control of the demo's experiment: the widget computes the arm as the edge does.
    assert.deepEqual(pb.published, {
      version, edge_rules_removed: 1, edge_fields: ["email"],
      experiment: { id: "mql-bar", control: "demo", variant: "demo-b", share: 50 },
    });
    // Private to sales: the competitor list and reps' contacts never leave the edge.
    assert.ok(pb.rules.some((r) => r.id === "decision-maker"), "public rules are there");
    assert.ok(!pb.rules.some((r) => r.id === "competitor"), "the edge-only rule is not");
    assert.ok(!JSON.stringify(pb).includes("tableau.com"));
    assert.ok(pb.reps.length > 0 && pb.reps.every((r) => r.email === undefined && r.channels === undefined));
    assert.ok(pb.teams.every((t) => t.channels === undefined), "no team's channels either");
    assert.ok(!JSON.stringify(pb).includes("env:"), "no secret's name");
    assert.equal(pb.content, undefined, "enablement content is for sales");
    assert.ok(!JSON.stringify(pb).includes("@northwind.example"));
    assert.equal(pb.allowed_origins, undefined);
  });

  it("answers 304 with no body when the browser already has this version", async () => {
    const res = await fetch(`${w.url}/v1/forms/demo`, { headers: { "if-none-match": `"${version}"` } });
    assert.equal(res.status, 304);
    assert.equal(await res.text(), "");
    assert.equal(res.headers.get("etag"), `"${version}"`);
    const stale = await fetch(`${w.url}/v1/forms/demo`, { headers: { "if-none-match": '"0000000000000000"' } });
    assert.equal(stale.status, 200);
  });

  it("answers HEAD like GET, without a body", async () => {
    const res = await fetch(`${w.url}/v1/forms/demo`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("etag"), `"${version}"`);
    assert.equal(await res.text(), "");
  });

  it("answers an unknown form with a JSON 404", async () => {
    const res = await fetch(`${w.url}/v1/forms/nope`);
    assert.equal(res.status, 404);
    const body = await res.json();
    assert.equal(body.error.code, "unknown_form");
    assert.match(body.error.message, /`nope`/);
  });
});

describe("POST /v1/leads", () => {
  it("stores a good lead in D1 with the edge's verdict and the assigned rep, answers 201", async () => {
    const body = leadPost(emeaVp());
    const res = await post(`${w.url}/v1/leads`, body, { "user-agent": "baton-e2e" });
    assert.equal(res.status, 201, res.text);
    const { lead_id, decision, agreement, assigned_rep } = res.body;
    assert.match(lead_id, /^[0-9A-HJKMNP-TV-Z]{26}$/, "a ULID");
    assert.equal(decision.version, version);
    assert.equal(decision.score, 80);
    assert.equal(decision.grade, "A");
    assert.equal(decision.qualified, true);
    assert.equal(decision.route.route, "emea-enterprise");
    assert.equal(agreement, "unclaimed");
    assert.ok(["ana", "jonas"].includes(assigned_rep.id), JSON.stringify(assigned_rep));
    assert.ok(assigned_rep.name && assigned_rep.booking_url.startsWith("https://"));

    const r = await row(lead_id);
    assert.ok(r, "the lead is in D1");
    assert.equal(r.form_id, "demo");
    assert.equal(r.status, "accepted");
    assert.deepEqual(JSON.parse(r.submission), body, "the post is stored as received");
    // The page gets the verdict in brief; the whole decision, every reason
    // and the edge-only rules, stays with the edge and sales.
    const stored = JSON.parse(r.decision);
    for (const k of ["version", "score", "grade", "qualified", "sla_minutes"]) assert.equal(stored[k], decision[k], k);
    assert.equal(stored.route.route, decision.route.route);
    assert.ok(stored.reasons.length > 0, "the stored decision has its reasons");
    assert.equal(decision.reasons, undefined, "the 201 has none");
    assert.equal(decision.knocked_out, false);
    assert.ok(res.text.length < 500, `a 201 of ${res.text.length} bytes`);
    assert.equal(r.score, 80);
    assert.equal(r.grade, "A");
    assert.equal(r.qualified, 1);
    assert.equal(r.knocked_out, null);
    assert.equal(r.route_id, "emea-enterprise");
    assert.equal(r.team_id, "emea-enterprise");
    assert.equal(r.assigned_rep, assigned_rep.id);
    assert.equal(r.claimed, null);
    assert.equal(r.agreement, "unclaimed");
    assert.equal(r.playbook_version, version);
    assert.equal(r.origin, null);
    assert.equal(r.user_agent, "baton-e2e");
    assert.ok(Math.abs(Date.parse(r.created_at) - Date.now()) < 120_000, r.created_at);
  });

  it("records a browser's claim that matches as `match`", async () => {
    const claimed = { version, score: 80, grade: "A", qualified: true, provisional: true };
    const res = await post(`${w.url}/v1/leads`, leadPost(emeaVp(), { claimed }));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.agreement, "match");
    const r = await row(res.body.lead_id);
    assert.equal(r.agreement, "match");
    assert.deepEqual(JSON.parse(r.claimed), claimed);
  });

  it("stores a tampered grade-C lead that claims grade A with the edge's verdict, as a mismatch", async () => {
    const claimed = { version, score: 95, grade: "A", qualified: true, provisional: true };
    const res = await post(`${w.url}/v1/leads`, leadPost(bakery(), { claimed }));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.decision.score, 30);
    assert.equal(res.body.decision.grade, "C");
    assert.equal(res.body.decision.qualified, false);
    assert.equal(res.body.agreement, "mismatch");
    assert.equal(res.body.decision.route.route, "fallback", "not routed to enterprise sales");
    assert.equal(res.body.assigned_rep.id, "sam");
    const r = await row(res.body.lead_id);
    assert.equal(r.grade, "C");
    assert.equal(r.score, 30);
    assert.equal(r.qualified, 0);
    assert.equal(r.route_id, "fallback");
    assert.equal(r.assigned_rep, "sam");
    assert.equal(r.agreement, "mismatch");
    assert.equal(JSON.parse(r.claimed).grade, "A", "the claim is kept, for the record");
    // And the operator hears about it in the Worker's log (`wrangler tail`).
    const logged = `lead ${res.body.lead_id}: browser claimed A 95`;
    await until(() => w.log().includes(logged), `the log to mention ${logged}`);
  });

  it("hands two leads of one team to different reps, and concurrent leads never share a turn", async () => {
    const first = await post(`${w.url}/v1/leads`, leadPost(emeaVp()));
    const second = await post(`${w.url}/v1/leads`, leadPost(emeaVp()));
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.notEqual(first.body.assigned_rep.id, second.body.assigned_rep.id);

    // Weighted: Maya (weight 2) and Liam (1) share North America. Six leads
    // at once, six people at six accounts (the same person again would go to
    // their earlier rep): every turn is handed out once, so exactly 4 + 2.
    const na = () => leadPost(emeaVp({ country: "US" }));
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(`${w.url}/v1/leads`, na())));
    const reps = answers.map((a) => (assert.equal(a.status, 201, a.text), a.body.assigned_rep.id));
    assert.deepEqual(
      { maya: reps.filter((r) => r === "maya").length, liam: reps.filter((r) => r === "liam").length },
      { maya: 4, liam: 2 },
      reps.join(","),
    );
  });

  it("stores a lead retried with the same Idempotency-Key once, and answers the retry as the first try", async () => {
    const key = crypto.randomUUID();
    const body = JSON.stringify(leadPost(emeaVp({ name: "Retry Ruiz" })));
    const first = await post(`${w.url}/v1/leads`, body, { "idempotency-key": key });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    // The answer was lost on the way back; the widget sends the same bytes again,
    // and a second tab flushing the same stored lead does too, at the same moment.
    const again = await Promise.all([1, 2, 3].map(() => post(`${w.url}/v1/leads`, body, { "idempotency-key": key })));
    for (const a of again) {
      assert.equal(a.status, 201, a.text);
      assert.equal(a.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(a.body, first.body, "the same lead id, decision and rep");
    }
    assert.equal(await count(`idempotency_key = '${key}'`), 1);
    assert.equal(await count(`json_extract(submission, '$.submission.fields.name') = 'Retry Ruiz'`), 1);

    // The team's next lead goes to the other rep: the retries took no turn.
    const next = await post(`${w.url}/v1/leads`, leadPost(emeaVp()));
    assert.notEqual(next.body.assigned_rep.id, first.body.assigned_rep.id);
  });

  it("answers a retried invalid lead with the same field errors, stored once", async () => {
    const key = crypto.randomUUID();
    const body = JSON.stringify(leadPost(emeaVp({ email: "not-an-address" })));
    const first = await post(`${w.url}/v1/leads`, body, { "idempotency-key": key });
    const second = await post(`${w.url}/v1/leads`, body, { "idempotency-key": key });
    assert.equal(first.status, 422);
    assert.equal(second.status, 422);
    assert.deepEqual(second.body, first.body);
    assert.equal(await count(`idempotency_key = '${key}'`), 1);
  });

  it("refuses a key reused for a different lead with 422, and a malformed key with 400", async () => {
    const key = crypto.randomUUID();
    const first = await post(`${w.url}/v1/leads`, leadPost(bakery()), { "idempotency-key": key });
    assert.equal(first.status, 201, first.text);
    const other = await post(`${w.url}/v1/leads`, leadPost(emeaVp()), { "idempotency-key": key });
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, "idempotency_key_reused");
    assert.match(other.body.error.message, /new key for each lead/);
    assert.equal(await count(`idempotency_key = '${key}'`), 1);

    const before = await count();
    const bad = await post(`${w.url}/v1/leads`, leadPost(bakery()), { "idempotency-key": "two words" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_idempotency_key");
    assert.equal(await count(), before, "nothing stored");
  });

  it("lets pages send the Idempotency-Key header (preflight)", async () => {
    const res = await fetch(`${w.url}/v1/leads`, {
      method: "OPTIONS",
      headers: {
        origin: ALLOWED,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,idempotency-key",
      },
    });
    assert.equal(res.status, 204);
    assert.match(res.headers.get("access-control-allow-headers"), /idempotency-key/i);
  });

  it("answers broken JSON with 400 saying where, and stores nothing", async () => {
    const before = await count();
    const res = await post(`${w.url}/v1/leads`, '{"v":1,"form":"demo","submission":{"fields":{');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, "invalid_json");
    assert.match(res.body.error.message, /line 1 column \d+/);
    assert.deepEqual(res.body.error.fields, []);

    const shape = await post(`${w.url}/v1/leads`, { v: 1, form: "demo", submission: { fields: { name: { first: "A" } } } });
    assert.equal(shape.status, 400);
    assert.equal(shape.body.error.code, "invalid_request");
    assert.match(shape.body.error.message, /submission\.fields\.name/);

    const typo = await post(`${w.url}/v1/leads`, { v: 1, form: "demo", submision: {} });
    assert.equal(typo.status, 400);
    assert.match(typo.body.error.message, /submision/);

    const newer = await post(`${w.url}/v1/leads`, { v: 2, form: "demo", submission: {} });
    assert.equal(newer.status, 400);
    assert.equal(newer.body.error.code, "unsupported_version");

    const empty = await post(`${w.url}/v1/leads`, "");
    assert.equal(empty.status, 400);
    assert.equal(await count(), before);
  });

  it("refuses a body over 32 KB with 413, whether Content-Length says so or not", async () => {
    const before = await count();
    const big = leadPost(emeaVp({ name: "x".repeat(33 * 1024) }));
    const res = await post(`${w.url}/v1/leads`, big);
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, "payload_too_large");

    // Streamed without Content-Length (chunked): the Worker counts what it reads.
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 4096) c.enqueue(bytes.slice(i, i + 4096));
        c.close();
      },
    });
    const chunked = await fetch(`${w.url}/v1/leads`, {
      method: "POST", body: stream, duplex: "half", headers: { "content-type": "application/json" },
    });
    assert.equal(chunked.status, 413);
    assert.equal((await chunked.json()).error.code, "payload_too_large");

    const justUnder = leadPost(emeaVp({ title: "VP " + "y".repeat(100) }));
    assert.equal((await post(`${w.url}/v1/leads`, justUnder)).status, 201);
    assert.equal(await count(), before + 1);
  });

  it("answers missing answers with 422 and the list, and still keeps what the visitor typed", async () => {
    const body = leadPost({ locale: "de", fields: { email: "lena@firma-beispiel.de", company: "Firma Beispiel" } });
    const res = await post(`${w.url}/v1/leads`, body);
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, "invalid_fields");
    const fields = res.body.error.fields.map((f) => f.field).sort();
    assert.deepEqual(fields, ["consent", "country", "employees", "name", "timeline"]);
    assert.ok(res.body.error.fields.every((f) => f.code && f.message), "each with a code and a message");
    assert.ok(res.body.error.fields.some((f) => /[äöüß]|Bitte/.test(f.message)), "messages in the visitor's locale");

    const kept = await w.sql("select * from leads where status = 'invalid' and submission like '%lena@firma-beispiel.de%'");
    assert.equal(kept.length, 1, "the invalid submission is stored, not lost");
    assert.deepEqual(JSON.parse(kept[0].submission), body);
    assert.equal(kept[0].assigned_rep, null);
    assert.equal(JSON.parse(kept[0].decision).valid, false);
  });

  it("refuses a page whose origin the playbook does not list with 403, and stores nothing", async () => {
    const before = await count();
    const res = await post(`${w.url}/v1/leads`, leadPost(emeaVp()), { origin: STRANGER });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, "origin_not_allowed");
    assert.ok(res.body.error.message.includes(STRANGER), res.body.error.message);
    // The refused page may read why (the widget shows it), nothing more.
    assert.equal(res.headers.get("access-control-allow-origin"), STRANGER);

    // A "simple" cross-origin post skips the preflight: the Worker still refuses it.
    const simple = await post(`${w.url}/v1/leads`, JSON.stringify(leadPost(emeaVp())), {
      origin: STRANGER, "content-type": "text/plain;charset=UTF-8",
    });
    assert.equal(simple.status, 403);
    assert.equal(await count(), before);
    assert.equal(await count(`origin = '${STRANGER}'`), 0);
  });

  it("accepts a listed origin and its own origin, with CORS headers for that page", async () => {
    const res = await post(`${w.url}/v1/leads`, leadPost(emeaVp()), { origin: ALLOWED });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
    assert.match(res.headers.get("vary"), /Origin/i);
    assert.equal((await row(res.body.lead_id)).origin, ALLOWED);

    const own = await post(`${w.url}/v1/leads`, leadPost(emeaVp()), { origin: w.url });
    assert.equal(own.status, 201, "the Worker's own pages are always allowed");
  });

  it("answers a CORS preflight with 204 for the asking page", async () => {
    const res = await fetch(`${w.url}/v1/leads`, {
      method: "OPTIONS",
      headers: { origin: ALLOWED, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
    assert.match(res.headers.get("access-control-allow-methods"), /POST/);
    assert.match(res.headers.get("access-control-allow-headers"), /content-type/i);
    assert.ok(Number(res.headers.get("access-control-max-age")) > 0);
    assert.match(res.headers.get("vary"), /Origin/i);
  });

  it("answers an unknown form with 404 and stores nothing", async () => {
    const before = await count();
    const res = await post(`${w.url}/v1/leads`, { v: 1, form: "nope", submission: emeaVp() });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "unknown_form");
    assert.equal(await count(), before);
  });
});

describe("POST /v1/evaluate", () => {
  it("evaluates against a form without storing anything", async () => {
    const before = await count();
    const res = await post(`${w.url}/v1/evaluate`, { form: "demo", submission: bakery() });
    assert.equal(res.status, 200);
    assert.equal(res.body.decision.grade, "C");
    assert.equal(res.body.decision.version, version);
    assert.equal(await count(), before);
  });

  it("reports every problem of an inline playbook with its path", async () => {
    const res = await post(`${w.url}/v1/evaluate`, {
      playbook: {
        id: "lab", name: "Lab", fields: [{ id: "employees", kind: "number", label: "Employees" }],
        rules: [{ id: "big", points: 5, when: { field: "emploees", op: "at_least", value: 100 } }],
        grades: [{ grade: "A" }], routes: [],
      },
      submission: { fields: { employees: 10 } },
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, "invalid_playbook");
    assert.ok(res.body.error.problems.some((p) => p.path.startsWith("rules[0]") && /emploees/.test(p.message)),
      JSON.stringify(res.body.error.problems));
  });

  it("needs a form or a playbook", async () => {
    const res = await post(`${w.url}/v1/evaluate`, { submission: {} });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /`form`/);
  });
});

describe("a bot in the form's trap", () => {
  it("is answered as if taken, and nothing is stored or delivered; the report counts it", async () => {
    const before = await count();
    const trapped = leadPost(emeaVp({ homepage_url: "https://spam.example" }));
    const res = await post(`${w.url}/v1/leads`, trapped, { origin: ALLOWED });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.lead_id, /^[0-9A-Z]{26}$/);
    assert.equal(res.body.decision.grade, "A", "the verdict its answers would get");
    assert.ok(res.body.assigned_rep?.name, "a rep, as a real lead would get");
    assert.equal(await count(), before, "no lead stored");
    assert.equal((await w.sql(`select count(*) as n from deliveries where lead_id = '${res.body.lead_id}'`))[0].n, 0);
    assert.equal((await fetch(`${w.url}/v1/leads/${res.body.lead_id}`, { headers: admin })).status, 404);
    // An empty trap is a person's post (the no-wasm form posts only what is filled).
    const person = await post(`${w.url}/v1/leads`, leadPost(emeaVp({ homepage_url: "" })), { origin: ALLOWED });
    assert.equal(person.status, 201);
    assert.equal(await count(), before + 1);
    const report = await (await fetch(`${w.url}/v1/reports`, { headers: admin })).json();
    assert.deepEqual(report.blocked, [{ key: "honeypot", count: 1 }]);
  });
});

describe("security headers", () => {
  it("the demo page runs under a strict CSP, and nothing is served to be sniffed as another type", async () => {
    for (const path of ["/", "/index.html"]) {
      const res = await fetch(`${w.url}${path}`);
      assert.equal(res.status, 200, path);
      const csp = res.headers.get("content-security-policy") ?? "";
      for (const d of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"]) {
        assert.ok(csp.includes(d), `${path}: ${d} in ${csp}`);
      }
      // The page's one inline <style> is allowed by its hash, nothing else inline.
      const html = await res.text();
      const style = html.match(/<style>([\s\S]*?)<\/style>/)[1];
      const { createHash } = await import("node:crypto");
      assert.ok(csp.includes(`'sha256-${createHash("sha256").update(style).digest("base64")}'`), "the style's hash");
      assert.ok(!/'unsafe-inline'|'unsafe-eval'/.test(csp), csp);
    }
    for (const path of ["/", "/embed.js", "/widget/live.js", "/widget/widget.js", "/widget/widget_bg.wasm", "/widget/widget.css", "/report.html", "/openapi.json", "/v1/health", "/v1/forms/demo", "/v1/forms/demo/html", "/v1/nope"]) {
      const res = await fetch(`${w.url}${path}`);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    }
  });
});

describe("the admin read API", () => {
  it("asks for the token (401 with WWW-Authenticate) and refuses a wrong one (403)", async () => {
    const admin = [
      ["GET", "/v1/leads"], ["GET", "/v1/leads/01JDX3Q3J7Z8ZV6W9A5N4M2K1R"], ["GET", "/v1/reports"],
      ["GET", "/v1/reports/leads.csv"], ["DELETE", "/v1/people/kim%40example.com"],
    ];
    for (const [method, path] of admin) {
      // A token of another length, an empty one, a near miss: 403 all, never 500.
      for (const guess of ["guess", "", `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), "x".repeat(4096)]) {
        const res = await fetch(`${w.url}${path}`, { method, headers: { authorization: `Bearer ${guess}` } });
        assert.ok([401, 403].includes(res.status), `${method} ${path} with "${guess.slice(0, 20)}": ${res.status}`);
      }
    }
    for (const path of ["/v1/leads", "/v1/leads/01JDX3Q3J7Z8ZV6W9A5N4M2K1R"]) {
      const none = await fetch(`${w.url}${path}`);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="baton-admin"');
      assert.equal((await none.json()).error.code, "unauthorized");
      const wrong = await fetch(`${w.url}${path}`, { headers: { authorization: "Bearer guess" } });
      assert.equal(wrong.status, 403, path);
      assert.equal((await wrong.json()).error.code, "forbidden");
    }
  });

  it("reads a lead back as it was taken, and answers an unknown one with 404", async () => {
    const body = leadPost(emeaVp());
    const taken = await post(`${w.url}/v1/leads`, body);
    assert.equal(taken.status, 201, taken.text);
    const res = await fetch(`${w.url}/v1/leads/${taken.body.lead_id}`, { headers: admin });
    assert.equal(res.status, 200);
    const lead = await res.json();
    assert.equal(lead.id, taken.body.lead_id);
    assert.equal(lead.status, "accepted");
    assert.equal(lead.agreement, taken.body.agreement);
    assert.equal(lead.assigned_rep, taken.body.assigned_rep.id);
    for (const k of ["version", "score", "grade", "qualified", "sla_minutes"]) {
      assert.equal(lead.decision[k], taken.body.decision[k], k);
    }
    assert.ok(lead.decision.reasons.length > 0, "the admin API has the whole decision");
    assert.deepEqual(lead.submission.submission.fields, body.submission.fields);
    const missing = await fetch(`${w.url}/v1/leads/01JDX3Q3J7Z8ZV6W9A5N4M2K1R`, { headers: admin });
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "lead_not_found");
  });

  it("lists leads oldest first, a page at a time, since a time or a lead", async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(`${w.url}/v1/leads`, leadPost(emeaVp()));
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.lead_id);
    }
    const page = async (query) => {
      const res = await fetch(`${w.url}/v1/leads?${query}`, { headers: admin });
      assert.equal(res.status, 200, query);
      return res.json();
    };
    const all = await page(`since=${encodeURIComponent(before)}&form=demo&limit=500`);
    const listed = all.leads.map((l) => l.id);
    assert.deepEqual(listed.filter((id) => ids.includes(id)), ids, "oldest first");
    assert.equal(all.next, null, "nothing more");
    const first = await page(`since=${encodeURIComponent(before)}&limit=1`);
    assert.equal(first.leads.length, 1);
    assert.equal(first.next, first.leads[0].id);
    const second = await page(`since=${first.next}&limit=1`);
    assert.ok(second.leads[0].id > first.next, "the next page starts after the last id");
    assert.deepEqual((await page("form=no-such-form")).leads, []);
  });

  it("refuses a query it cannot read with 400 and says which parameter", async () => {
    for (const [query, word] of [
      ["since=yesterday", "`since`"],
      ["since=1", "`since`"],
      ["since=2026-02-30T00:00:00Z", "`since`"],
      ["limit=0", "`limit`"],
      ["limit=501", "`limit`"],
      ["limit=ten", "`limit`"],
      ["page=2", "`page`"],
    ]) {
      const res = await fetch(`${w.url}/v1/leads?${query}`, { headers: admin });
      assert.equal(res.status, 400, query);
      const { error } = await res.json();
      assert.equal(error.code, "invalid_query", query);
      assert.ok(error.message.includes(word), `${query}: ${error.message}`);
    }
  });
});

describe("routing", () => {
  it("answers a wrong method with a JSON 405 and the methods the path takes (Allow)", async () => {
    for (const [method, path, allow] of [
      ["PUT", "/v1/leads", "GET, POST, OPTIONS"],
      ["DELETE", "/v1/leads", "GET, POST, OPTIONS"],
      ["POST", "/v1/leads/01JDX3Q3J7Z8ZV6W9A5N4M2K1R", "GET, OPTIONS"],
      ["DELETE", "/v1/forms/demo", "GET, HEAD, OPTIONS"],
      // A method the router does not know must not be read as GET.
      ["QUERY", "/v1/forms/demo", "GET, HEAD, OPTIONS"],
      ["QUERY", "/v1/health", "GET, HEAD"],
    ]) {
      const res = await fetch(`${w.url}${path}`, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
      const body = await res.json();
      assert.equal(body.error.code, "method_not_allowed");
      assert.ok(body.error.message.includes(method));
    }
  });

  it("answers an unknown path with a JSON 404", async () => {
    for (const path of ["/v1/nope", "/v2/leads", "/no-such-page"]) {
      const res = await fetch(`${w.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal((await res.json()).error.code, "not_found");
    }
  });
});

describe("the form without the widget", () => {
  it("serves the form's HTML per locale, and answers posts in HTML, one render after another", async () => {
    const en = await fetch(`${w.url}/v1/forms/demo/html?locale=en-GB`);
    assert.equal(en.status, 200);
    assert.equal(en.headers.get("content-language"), "en");
    assert.match(await en.text(), /<label[^>]*for="b-email"[^>]*>Work email/);
    const de = await fetch(`${w.url}/v1/forms/demo/html?locale=de-AT`);
    assert.equal(de.headers.get("content-language"), "de");
    assert.match(await de.text(), /Geschäftliche E-Mail/);
    assert.equal((await fetch(`${w.url}/v1/forms/nope/html`)).status, 404);
    // Visitors never see their score; the marketer's preview shows it.
    const enHtml = await (await fetch(`${w.url}/v1/forms/demo/html?locale=en`)).text();
    assert.doesNotMatch(enHtml, /data-testid="verdict"/);
    const preview = await fetch(`${w.url}/v1/forms/demo/html?locale=en&preview=1`);
    assert.match(await preview.text(), /data-testid="verdict"/);
    assert.notEqual(preview.headers.get("etag"), en.headers.get("etag"), "the preview is cached apart");
    const he = await fetch(`${w.url}/v1/forms/demo/html?locale=he-IL`);
    assert.equal(he.headers.get("content-language"), "he");
    assert.match(await he.text(), /^<div lang="he" dir="rtl" class="baton-in">/);
    // Each answer is a fresh server render: none may hang on an earlier one.
    for (const [sub, words] of [[emeaVp(), /EMEA Enterprise/], [bakery(), /baton-outcome/], [emeaVp(), /EMEA Enterprise/]]) {
      const res = await post(`${w.url}/v1/leads`, leadPost(sub), { accept: "text/html" });
      assert.equal(res.status, 201, res.text);
      assert.match(res.headers.get("content-type"), /text\/html/);
      assert.match(res.text, words);
      assert.ok(res.headers.get("baton-lead-id"));
    }
  });
});
