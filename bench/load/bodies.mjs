// Realistic `POST /v1/leads` bodies for the demo playbook (icp.toml), varied
// values from a seeded PRNG: names, companies, titles (deciders, practitioners,
// the odd student), sizes, every country and timeline, interests, phones,
// gclid, page context with UTM tags. Every address is unique: the marker
// `~U~` stands in the email's local part and its company domain, and is
// replaced per request (by load.lua in wrk, by `post(i, uid)` here), so no
// lead is "the same person again" or an account someone already owns.
// About 1 lead in 10 uses free mail (its local part still unique), about 1
// in 30 is knocked out (a student, an intern, a throwaway inbox).
//
// node bench/load/bodies.mjs N OUT     writes N templates, one per line
// import { template, post }            for the paced delivery phase

import { writeFileSync } from "node:fs";

export const MARK = "~U~";

function mulberry32(seed) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["Ana", "Jonas", "Maya", "Liam", "Sofia", "Kenji", "Fatima", "Lukas", "Chloé", "Emeka", "Ingrid", "Mateo", "Priya", "Hannah", "Tomasz", "Aiko"];
const LAST = ["Souza", "Weber", "Chen", "O'Neill", "Rossi", "Sato", "Haddad", "Müller", "Dubois", "Okafor", "Larsen", "García", "Iyer", "Schmidt", "Nowak", "Tanaka"];
const STEMS = ["acme-industrial", "globex-logistics", "initech", "umbrella-health", "contoso", "fabrikam", "northwind-traders", "wayne-freight", "stark-energy", "tyrell-bio", "hooli", "vandelay-imports"];
const TLDS = ["com", "de", "co.uk", "fr", "nl", "io", "ch", "at", "ca", "com.br", "in"];
const TITLES = [
  "VP Revenue", "VP Finance", "Head of Sales", "Director of Marketing", "Chief Revenue Officer", "CFO", "Founder",
  "Owner", "Vice President, Sales Operations", "RevOps Manager", "Marketing Operations Manager", "Sales Analyst",
  "Senior Data Analyst", "Account Executive", "Software Engineer", "Office Manager", "Head of Growth", "",
];
const KNOCKOUT_TITLES = ["Student", "Marketing Intern", "Sales Trainee"];
const COUNTRIES = ["DE", "DE", "DE", "AT", "CH", "GB", "GB", "FR", "NL", "US", "US", "US", "CA", "BR", "IN", "other"];
const TIMELINES = ["this-quarter", "this-year", "researching"];
const INTERESTS = ["forecasting", "attribution", "dashboards"];
const FREE = ["gmail.com", "outlook.com", "yahoo.com", "gmx.de", "web.de"];
const SOURCES = [
  { source: "google", medium: "cpc", campaign: "brand-emea" },
  { source: "linkedin", medium: "paid-social", campaign: "revops-q4" },
  { source: "g2", medium: "referral", campaign: "northwind-vs-clari" },
  { source: "newsletter", medium: "email", campaign: "forecasting-101" },
  null,
];
const PAGES = ["/", "/pricing", "/customers", "/product/forecasting", "/product/attribution", "/blog/forecast-accuracy", "/security", "/about"];
const REFERRERS = ["https://www.google.com/", "https://www.linkedin.com/", "https://www.g2.com/compare/northwind-vs-clari", null];

/** The submission of lead `i`, with MARK where the unique part goes. */
export function template(i, seed = 0xba7051) {
  const rand = mulberry32(seed + i * 7919);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const first = pick(FIRST);
  const last = pick(LAST);
  const stem = pick(STEMS);
  const company = stem.split("-").map((w) => w[0].toUpperCase() + w.slice(1)).join(" ");
  const local = `${first}.${last}`.toLowerCase().normalize("NFD").replace(/[^a-z.]/g, "");
  const kind = rand();
  const email = kind < 0.1 ? `${local}.${MARK}@${pick(FREE)}`
    : kind < 0.115 ? `${local}.${MARK}@mailinator.com`
      : `${local}@${stem}-${MARK}.${pick(TLDS)}`;
  const size = rand();
  const employees = size < 0.15 ? int(1, 9) : size < 0.4 ? int(10, 199) : size < 0.85 ? int(200, 5000) : int(5001, 40000);
  const fields = {
    email,
    name: `${first} ${last}`,
    company,
    title: rand() < 0.02 ? pick(KNOCKOUT_TITLES) : pick(TITLES),
    employees,
    country: pick(COUNTRIES),
    timeline: pick(TIMELINES),
    interests: INTERESTS.filter(() => rand() < 0.45),
    consent: true,
  };
  if (fields.title === "") delete fields.title;
  if (rand() < 0.4) fields.phone = `+49 30 ${int(1000, 9999)} ${int(1000, 9999)}`;
  if (rand() < 0.1) fields.gclid = `Cj0KCQiA${int(100000, 999999)}`;
  const utm = pick(SOURCES);
  const seen = PAGES.filter(() => rand() < 0.35);
  const context = { page_url: `https://www.northwind.example${pick(["/pricing", "/", "/product/forecasting"])}` };
  const referrer = pick(REFERRERS);
  if (referrer) context.referrer = referrer;
  if (utm) context.utm = utm;
  if (seen.length) context.pages_seen = seen;
  if (rand() < 0.3) context.content_seen = ["/blog/forecast-accuracy"];
  context.time_on_page_ms = int(4000, 240000);
  return { v: 1, form: "demo", submission: { locale: rand() < 0.2 ? "de" : "en", fields, context } };
}

/** Lead `i` as a JSON body, its marker replaced by `uid`. */
export function post(i, uid) {
  return JSON.stringify(template(i)).replaceAll(MARK, uid);
}

/** Lead `i` knocked out (reaches nobody)? For the delivery phase, which waits for every lead. */
export function knockedOut(i) {
  const f = template(i).submission.fields;
  return /mailinator/.test(f.email) || /student|intern|trainee/i.test(f.title ?? "");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 2000);
  const out = process.argv[3] ?? "bodies.jsonl";
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify(template(i)));
  writeFileSync(out, lines.join("\n") + "\n");
  const sizes = lines.map((l) => Buffer.byteLength(l.replaceAll(MARK, "r1x12345")));
  console.log(`wrote ${n} Baton bodies to ${out}, bytes min/avg/max = ${Math.min(...sizes)}/${Math.round(sizes.reduce((a, b) => a + b) / n)}/${Math.max(...sizes)}`);
}
