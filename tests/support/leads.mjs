// Leads used across the end-to-end tests, with what the demo playbook
// (icp.toml) makes of them, worked out by hand from its rules.

let made = 0;
/** A company domain no earlier lead had: each lead is a new person at a new
 * account, so neither "the same person came back" nor account ownership
 * sends it to an earlier lead's rep (tests of those say so themselves). */
export function uniqueDomain(stem) {
  made += 1;
  return `${stem}-${process.pid.toString(36)}${made.toString(36)}`;
}

/** A VP at a 800-person German company buying this quarter:
 * size-sweet-spot 25 + decision-maker 20 + core-region 10 + buying-now 20
 * + forecasting-interest 5 = 80 → grade A, qualified, route emea-enterprise
 * (team Ana + Jonas). */
export function emeaVp(overrides = {}) {
  return {
    locale: "en",
    fields: {
      email: `ana.souza@${uniqueDomain("acme-industrial")}.de`,
      name: "Ana Souza",
      company: "Acme Industrial",
      title: "VP Revenue",
      employees: 800,
      country: "DE",
      timeline: "this-quarter",
      interests: ["forecasting"],
      consent: true,
      ...overrides,
    },
    context: { page_url: "https://www.northwind.example/pricing", pages_seen: ["/", "/pricing"] },
  };
}

/** A 60-person bakery starting this year: size-growing 10 + core-region 10
 * + buying-this-year 10 = 30 → grade C, not qualified, route fallback (Sam). */
export function bakery() {
  return {
    locale: "en",
    fields: {
      email: `kim@${uniqueDomain("small-bakery")}.de`,
      name: "Kim Berger",
      company: "Small Bakery",
      employees: 60,
      country: "DE",
      timeline: "this-year",
      consent: true,
    },
  };
}

export const leadPost = (submission, extra = {}) => ({ v: 1, form: "demo", submission, ...extra });
