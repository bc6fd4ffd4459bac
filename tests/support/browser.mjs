// Headless Debian Chromium driven by playwright-core, with a fresh profile
// each time. Never lets Playwright download a browser of its own.

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";

import { visitorIn } from "./experiment.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Every page starts as `visitor` (the loader's `baton:vid`, unless a page
 * set its own): by default a visitor in the control arm of the demo's
 * experiment, so a test sees the same playbook on every run, whichever page
 * or origin it opens.
 * @returns {{context: import("playwright-core").BrowserContext, close: () => Promise<void>}}
 */
export async function launch({ visitor = visitorIn("control") } = {}) {
  const profile = await mkdtemp(join(tmpdir(), "baton-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    locale: "en-US",
  });
  await context.addInitScript((vid) => {
    try {
      if (!localStorage.getItem("baton:vid")) localStorage.setItem("baton:vid", vid);
    } catch { /* no storage on this page: the control anyway */ }
  }, visitor);
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value, or fails saying `what`. */
export async function until(what, fn, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/**
 * What axe-core (an independent accessibility checker) finds wrong with the
 * forms on `page` against WCAG 2.2 A/AA and its best practices, one line per
 * rule and element; [] when nothing. It looks into the forms' shadow roots;
 * `include` is axe's context (a popup: [["baton-popup", "dialog"]]).
 */
export async function accessibilityViolations(page, include = [["baton-form"]]) {
  // Evaluated, not added as a <script>: pages under Trusted Types (the demo
  // page's CSP) refuse a script element's text that no policy made.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (include) => {
    const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
    // The hosts: axe goes on into their (open) shadow roots.
    const result = await window.axe.run({ include }, { runOnly: tags });
    return result.violations.flatMap((v) =>
      v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${n.target.join(" ")}`));
  }, include);
  return violations;
}

const AXE_SOURCE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
