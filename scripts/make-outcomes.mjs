#!/usr/bin/env node
// Writes outcomes.csv: 2,000 past leads of the demo company (Northwind) as a
// CRM exports them, one column per form field plus context and `outcome`,
// for `baton backtest icp.toml outcomes.csv`. Deterministic (a fixed seed).
// How deals were won is made up but shaped like B2B pipelines: decision
// makers, mid-market size and a near start win; free mail almost never; a
// long visit, paid search and the forecasting interest tell little.
// Usage: node scripts/make-outcomes.mjs [--leads 2000] [--out outcomes.csv]
import { writeFileSync } from "node:fs";

const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg("--leads", "2000"));
const OUT = arg("--out", "outcomes.csv");

let seed = 20261203;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

const titles = [["VP Revenue", 1], ["Head of Sales Operations", 1], ["CFO", 1], ["Director of Marketing", 1], ["Founder", 1],
  ["RevOps Manager", 0], ["Sales Operations Analyst", 0], ["Marketing Manager", 0], ["Account Executive", 0], ["Software Engineer", 0], ["Student", 0]];
const countries = ["DE", "DE", "GB", "FR", "NL", "US", "US", "CA", "AT", "CH", "BR", "IN"];
const timelines = ["this-quarter", "this-year", "this-year", "researching"];
const companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Wonka"];
const sources = [["linkedin", "paid", "q4-forecasting"], ["google", "cpc", "brand"], ["g2", "referral", "compare"], ["newsletter", "email", "nov-digest"], ["", "", ""]];

const esc = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const head = ["email", "name", "company", "title", "employees", "country", "timeline", "interests", "phone", "consent",
  "utm_source", "utm_medium", "utm_campaign", "pages_seen", "outcome", "amount"];
const rows = [head.join(",")];
const sizes = () => { const r = rnd(); return r < 0.15 ? 5 + Math.floor(rnd() * 40) : r < 0.4 ? 50 + Math.floor(rnd() * 150) : r < 0.9 ? 200 + Math.floor(rnd() * 4000) : 6000 + Math.floor(rnd() * 40000); };
for (let i = 0; i < N; i++) {
  const [title, decides] = pick(titles);
  const employees = sizes();
  const country = pick(countries);
  const timeline = pick(timelines);
  const free = rnd() < 0.12;
  const company = `${pick(companies)} ${i}`;
  const domain = free ? pick(["gmail.com", "web.de", "outlook.com"]) : `${company.toLowerCase().replace(/\s+/g, "-")}.example`;
  const interests = [rnd() < 0.6 ? "forecasting" : "", rnd() < 0.3 ? "attribution" : "", rnd() < 0.3 ? "dashboards" : ""].filter(Boolean).join("|");
  const [src, med, camp] = pick(sources);
  const pages = 1 + Math.floor(rnd() * 6);
  let p = 0.04;
  if (decides) p += 0.22;
  if (employees >= 200 && employees <= 5000) p += 0.14;
  if (timeline === "this-quarter") p += 0.18;
  if (timeline === "this-year") p += 0.05;
  if (!["BR", "IN"].includes(country)) p += 0.03;
  if (free) p = 0.01;
  if (title === "Student") p = 0;
  const won = rnd() < p;
  const r = rnd();
  const outcome = won ? "won" : r < 0.45 ? "lost" : r < 0.8 ? "rejected" : "open";
  const amount = won ? 12000 + Math.round(rnd() * 60) * 1000 : "";
  rows.push([`lead${i}@${domain}`, `Lead ${i}`, company, title, employees, country, timeline, interests, rnd() < 0.3 ? "+49 30 1234567" : "", "true",
    src, med, camp, pages, outcome, amount].map(esc).join(","));
}
writeFileSync(OUT, rows.join("\n") + "\n");
process.stdout.write(`wrote ${N} leads to ${OUT}\n`);
