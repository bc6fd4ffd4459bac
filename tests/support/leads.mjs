// Leads used across the end-to-end tests, with what the demo playbook
// (icp.toml) makes of them, worked out by hand from its rules.

/** A VP at a 800-person German company buying this quarter:
 * size-sweet-spot 25 + decision-maker 20 + core-region 10 + buying-now 20
 * + forecasting-interest 5 = 80 → grade A, qualified, route emea-enterprise
 * (team Ana + Jonas). */
export function emeaVp(overrides = {}) {
  return {
    locale: "en",
    fields: {
      email: "ana.souza@acme-industrial.de",
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
      email: "kim@small-bakery.de",
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
