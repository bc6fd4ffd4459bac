// How soon the form takes a keystroke, and what it costs the page (issue #12):
// headless Chromium, cold loads (no HTTP cache), over the demo page with
// Baton and over the same page with a plain hand-written HTML form of the
// same fields in the place of the script tag, both served by the same Worker
// on loopback, unthrottled and again with 4x CPU throttling. Prints the
// medians of
//   first keystroke  navigation start -> the first text field is in the page,
//                    enabled and on screen (the frame after it appeared, and
//                    not before the page's first contentful paint);
//   verdict live     navigation start -> baton-form[data-live] (the wasm took
//                    over: the instant verdict runs);
//   load event       navigation start -> the page's load event;
//   CLS              the page's cumulative layout shift over the whole load,
//                    the takeover included.
// Budgets: first keystroke <= plain form + 10 ms, load event <= plain form
// + 5 ms, CLS <= the plain page's (0: the form causes no shift). A miss
// prints FAIL; it exits 3 only with TIMING_STRICT=1, as scripts/bench.sh
// does: on a shared 2-core machine these medians move by several ms.
// After every load one key is typed into the field found, so "takes a
// keystroke" is checked, not assumed.
//
//   node scripts/timing.mjs            (TIMING_LOADS=20 per page and setting)
// Needs dist/ and edge/build (scripts/build-widget.sh, scripts/build-edge.sh).

import { startWorker } from "../tests/support/worker.mjs";
import { launch } from "../tests/support/browser.mjs";

const LOADS = Number(process.env.TIMING_LOADS ?? 20);
const STRICT = process.env.TIMING_STRICT === "1";
const FORM = "demo";
// The first field that takes typed text, in the plain form and in Baton's.
const FIELD = "input:not([type=hidden]):not([type=checkbox]):not([disabled])";

// Runs in every page before its own scripts: watches the document and every
// shadow root attached later for the first text field, and the layout shifts.
const PROBE = `(() => {
  const m = (window.__timing = { keystroke: null, live: null, cls: 0 });
  const field = '${FIELD}';
  const roots = [];
  const look = () => {
    if (m.keystroke !== null) return;
    for (const r of roots) {
      const f = r.querySelector(field);
      if (f && f.isConnected && f.getClientRects().length) {
        m.keystroke = -1;
        // On screen: the frame after it appeared, and not before the page's
        // first contentful paint (a frame the parser holds back shows nothing).
        // (first-paint may come in a callback of its own, before it.)
        requestAnimationFrame(() => {
          const at = performance.now();
          new PerformanceObserver((l, o) => {
            const fcp = l.getEntriesByName('first-contentful-paint')[0];
            if (!fcp) return;
            o.disconnect();
            m.keystroke = Math.max(at, fcp.startTime);
          }).observe({ type: 'paint', buffered: true });
        });
        return;
      }
    }
  };
  const watch = (r) => {
    roots.push(r);
    new MutationObserver(look).observe(r, { childList: true, subtree: true });
  };
  watch(document);
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (o) {
    const r = attach.call(this, o);
    watch(r);
    return r;
  };
  new MutationObserver(() => {
    if (m.live === null && document.querySelector('baton-form[data-live]')) m.live = performance.now();
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-live'] });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if (!e.hadRecentInput) m.cls += e.value;
  }).observe({ type: 'layout-shift', buffered: true });
})();`;

/** The demo page with a plain form of the playbook's fields in place of the tag. */
function plainPage(demoHtml, playbook) {
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const text = (t) => (t && (t.en ?? Object.values(t)[0])) ?? "";
  const types = { email: "email", number: "number", phone: "tel", url: "url", text: "text" };
  const fields = playbook.fields.map((f) => {
    const label = esc(text(f.label));
    const req = f.required ? " required" : "";
    switch (f.kind) {
      case "hidden":
        return `<input type="hidden" name="${f.id}">`;
      case "select":
        return `<label for="${f.id}">${label}</label><select id="${f.id}" name="${f.id}"${req}><option value=""></option>${
          f.options.map((o) => `<option value="${esc(o.value)}">${esc(text(o.label))}</option>`).join("")}</select>`;
      case "multiselect":
        return `<fieldset><legend>${label}</legend>${f.options.map((o) =>
          `<label><input type="checkbox" name="${f.id}" value="${esc(o.value)}"> ${esc(text(o.label))}</label>`).join("")}</fieldset>`;
      case "consent":
        return `<label><input type="checkbox" name="${f.id}"${req}> ${label}</label>`;
      default:
        return `<label for="${f.id}">${label}</label><input id="${f.id}" name="${f.id}" type="${types[f.kind] ?? "text"}"${req}>`;
    }
  });
  const form = `<form method="post" action="/v1/leads" style="display:grid;gap:8px">${fields.join("")}<button>Talk to sales</button></form>`;
  const tag = /<script src="\/embed\.js"[^>]*><\/script>/;
  if (!tag.test(demoHtml)) throw new Error("the demo page has no embed script tag to replace");
  return demoHtml.replace(tag, form);
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  if (!s.length) return null;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** One cold load of `url`: Baton's page, or the `plain` HTML given in its place. */
async function load(context, url, throttle, plain) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  if (plain) await page.route(url, (r) => r.fulfill({ contentType: "text/html; charset=utf-8", body: plain }));
  await page.addInitScript(PROBE);
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => window.__timing.keystroke > 0, null, { timeout: 30_000 });
  if (!plain) await page.waitForFunction(() => window.__timing.live !== null, null, { timeout: 30_000 });
  // Layout shifts of the takeover land in the frames after it.
  await page.waitForTimeout(300);
  const m = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const t = window.__timing;
    return { keystroke: t.keystroke, live: t.live, load: nav.loadEventStart, cls: t.cls };
  });
  // The first text field as it is now (the widget's own once it took over).
  const first = page.locator(`${plain ? "form" : "baton-form"} ${FIELD}`).first();
  await first.focus();
  await page.keyboard.type("a");
  if ((await first.inputValue()) !== "a") throw new Error(`${url}: the first field did not take the key`);
  await page.close();
  return m;
}

const w = await startWorker();
const browser = await launch();
let failed = false;
try {
  const pageUrl = `${w.url}/`;
  const plainUrl = `${w.url}/plain-form.html`;
  const demoHtml = await (await fetch(pageUrl)).text();
  const playbook = await (await fetch(`${w.url}/v1/forms/${FORM}`)).json();
  const plain = plainPage(demoHtml, playbook);
  // Warm the Worker's isolate (its pre-rendered HTML is cached per isolate, as in production).
  await load(browser.context, pageUrl, 1);
  await load(browser.context, plainUrl, 1, plain);

  const ms = (x) => (x === null ? "     -" : `${x.toFixed(1).padStart(6)}`);
  console.log(`timing: ${LOADS} cold loads per page and setting, medians in ms from navigation start`);
  console.log(`${"".padEnd(24)}${"keystroke".padStart(10)}${"live".padStart(10)}${"load".padStart(10)}${"CLS".padStart(8)}`);
  for (const throttle of [1, 4]) {
    const runs = { baton: [], plain: [] };
    // Interleaved, so drift on a shared machine touches both alike.
    for (let i = 0; i < LOADS; i++) {
      runs.baton.push(await load(browser.context, pageUrl, throttle));
      runs.plain.push(await load(browser.context, plainUrl, throttle, plain));
    }
    const med = {};
    for (const [name, rs] of Object.entries(runs)) {
      med[name] = {
        keystroke: median(rs.map((r) => r.keystroke)),
        live: median(rs.map((r) => r.live)),
        load: median(rs.map((r) => r.load)),
        cls: Math.max(...rs.map((r) => r.cls)),
      };
      const m = med[name];
      const label = `${name === "baton" ? "Baton" : "plain HTML form"}, CPU ${throttle}x`;
      console.log(`${label.padEnd(24)}${ms(m.keystroke).padStart(10)}${ms(name === "baton" ? m.live : null).padStart(10)}${ms(m.load).padStart(10)}${m.cls.toFixed(3).padStart(8)}`);
    }
    const dk = med.baton.keystroke - med.plain.keystroke;
    const dl = med.baton.load - med.plain.load;
    const checks = [
      [`first keystroke ${dk >= 0 ? "+" : ""}${dk.toFixed(1)} ms against the plain form (budget +10)`, dk <= 10],
      [`load event ${dl >= 0 ? "+" : ""}${dl.toFixed(1)} ms against the plain form (budget +5)`, dl <= 5],
      [`CLS ${med.baton.cls.toFixed(3)} at worst, the plain page ${med.plain.cls.toFixed(3)} (budget: no more)`, med.baton.cls <= med.plain.cls],
    ];
    for (const [what, ok] of checks) {
      console.log(`  CPU ${throttle}x: ${ok ? "ok  " : "FAIL"} ${what}`);
      if (!ok) failed = true;
    }
  }
} finally {
  await browser.close();
  await w.stop();
}
if (failed && STRICT) process.exit(3);
