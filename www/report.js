// The report page: GET /v1/reports drawn as charts a sales leader reads at
// a glance. Hand-written SVG (a chart library would outweigh the whole page);
// every bar carries data-key and data-value, so what is drawn is what the
// numbers say. The admin token stays in this tab (sessionStorage).

const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";
const fmt = new Intl.NumberFormat("en");
const pct = (x) => (x == null ? "–" : `${Math.round(x * 100)} %`);
const money = (x) => fmt.format(Math.round(x));

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

function svg(width, height, label) {
  return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
}

function empty(box, text) {
  box.replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: text }));
}

/** Vertical bars: one per item, `series` stacked side by side. */
function columns(box, items, series, label, { line } = {}) {
  if (!items.length) return empty(box, "No leads in this window.");
  const W = 760, H = 220, left = 36, bottom = 40, top = 10;
  const max = Math.max(1, ...items.flatMap((i) => series.map((s) => s.value(i))));
  const slot = (W - left) / items.length, bar = Math.min(28, (slot - 6) / series.length);
  const s = svg(W, H, label);
  for (const t of [0, 0.5, 1]) {
    const y = top + (H - top - bottom) * (1 - t);
    s.append(el("line", { x1: left, x2: W, y1: y, y2: y, stroke: "#e3e3ea" }));
    s.append(el("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, fmt.format(Math.round(max * t))));
  }
  items.forEach((item, i) => {
    const x0 = left + i * slot + (slot - bar * series.length) / 2;
    series.forEach((ser, k) => {
      const v = ser.value(item), h = ((H - top - bottom) * v) / max;
      const r = el("rect", { x: x0 + k * bar, y: H - bottom - h, width: bar - 2, height: Math.max(h, 0), fill: ser.color,
        "data-key": item.key, "data-series": ser.name, "data-value": v });
      r.append(el("title", {}, `${item.key} · ${ser.name}: ${fmt.format(v)}`));
      s.append(r);
    });
    if (items.length <= 16 || i % Math.ceil(items.length / 16) === 0) {
      s.append(el("text", { x: left + i * slot + slot / 2, y: H - bottom + 16, "text-anchor": "middle", class: "label" }, item.label ?? item.key));
    }
  });
  if (line) {
    const x = left + line.at * slot;
    s.append(el("line", { x1: x, x2: x, y1: top, y2: H - bottom, stroke: "#c5221f", "stroke-dasharray": "4 3", "data-sla": line.text }));
    s.append(el("text", { x: x + 4, y: top + 10, fill: "#c5221f" }, line.text));
  }
  let lx = left;
  for (const ser of series) {
    s.append(el("rect", { x: lx, y: H - 14, width: 10, height: 10, fill: ser.color }));
    s.append(el("text", { x: lx + 14, y: H - 5 }, ser.name));
    lx += 22 + ser.name.length * 7;
  }
  box.replaceChildren(s);
}

/** Horizontal bars, largest first: reasons, rules. */
function rows(box, items, label, { value = (i) => i.count, note = () => "", W = 760, left = 220, room = 260 } = {}) {
  if (!items.length) return empty(box, "Nothing recorded yet.");
  const row = 24, H = items.length * row + 8;
  const max = Math.max(1, ...items.map(value));
  const s = svg(W, H, label);
  items.forEach((item, i) => {
    const v = value(item), y = 4 + i * row, w = ((W - left - room) * v) / max;
    s.append(el("text", { x: left - 8, y: y + 15, "text-anchor": "end", class: "label" }, item.key));
    const r = el("rect", { x: left, y: y + 3, width: Math.max(w, 1), height: row - 8, fill: "#2746d8", "data-key": item.key, "data-value": v });
    r.append(el("title", {}, `${item.key}: ${fmt.format(v)}`));
    s.append(r);
    s.append(el("text", { x: left + w + 6, y: y + 15 }, `${fmt.format(v)}${note(item)}`));
  });
  box.replaceChildren(s);
}

function tiles(v) {
  const t = v.totals;
  const met = v.by_rep.reduce((a, r) => a + r.met, 0), missed = v.by_rep.reduce((a, r) => a + r.missed, 0);
  const items = [
    ["leads", fmt.format(t.leads), "valid leads"],
    ["qualified", fmt.format(t.qualified), "qualified (MQL)"],
    ["acceptance", pct(t.acceptance_rate), "accepted by sales"],
    ["win", pct(t.win_rate), "lead → won"],
    ["revenue", money(t.revenue), "revenue won"],
    ["sla", pct(met + missed ? met / (met + missed) : null), "follow-ups on time"],
    ["mismatches", fmt.format(v.mismatches), "browser ≠ edge"],
    ["blocked", fmt.format((report?.blocked ?? []).reduce((a, b) => a + b.count, 0)), "bot posts dropped"],
  ];
  $("tiles").replaceChildren(...items.map(([key, value, text]) => {
    const d = document.createElement("div");
    d.className = "tile";
    d.dataset.tile = key;
    d.innerHTML = "<b></b><span></span>";
    d.firstChild.textContent = value;
    d.lastChild.textContent = text;
    return d;
  }));
}

function slaTable(v) {
  if (!v.by_rep.length) return empty($("sla"), "No deadlines yet.");
  const t = document.createElement("table");
  t.innerHTML = "<thead><tr><th>Rep</th><th class=num>On time</th><th class=num>Missed</th><th class=num>Open</th><th class=num>Compliance</th></tr></thead><tbody></tbody>";
  for (const r of v.by_rep) {
    const tr = t.tBodies[0].insertRow();
    tr.dataset.rep = r.key;
    for (const [text, cls] of [[r.key, ""], [r.met, "num"], [r.missed, "num"], [r.open, "num"],
      [pct(r.compliance), `num ${r.compliance == null ? "" : r.compliance >= 0.9 ? "good" : "poor"}`]]) {
      const td = tr.insertCell();
      td.textContent = String(text);
      td.className = cls;
    }
  }
  $("sla").replaceChildren(t);
}

/** Each playbook experiment: its arms' funnels side by side, and whether the difference holds. */
function experiments(list) {
  $("experiments-box").hidden = !list.length;
  $("experiments").replaceChildren(...list.map((e) => {
    const box = document.createElement("div");
    box.className = "experiment";
    box.dataset.experiment = e.id;
    const h = Object.assign(document.createElement("h3"), { textContent: `Experiment ${e.id}` });
    const chart = document.createElement("div");
    chart.className = "chart";
    columns(chart, e.arms.map((a) => ({ ...a.funnel, key: a.form, label: `${a.form}${a.role ? ` (${a.role})` : ""}` })), [
      { name: "leads", color: "#c5cdf7", value: (a) => a.leads },
      { name: "qualified", color: "#7d93f0", value: (a) => a.qualified },
      { name: "accepted", color: "#4f6ae4", value: (a) => a.accepted },
      { name: "won", color: "#2746d8", value: (a) => a.won },
    ], `Experiment ${e.id}: leads, qualified, accepted and won per arm`);
    const t = document.createElement("table");
    t.innerHTML = "<thead><tr><th>Arm</th><th class=num>Views</th><th class=num>Leads per view</th><th class=num>Leads</th><th class=num>Qualified</th><th class=num>Accepted by sales</th><th class=num>Won</th><th class=num>Revenue</th></tr></thead><tbody></tbody>";
    for (const a of e.arms) {
      const tr = t.tBodies[0].insertRow();
      tr.dataset.arm = a.form;
      for (const [text, cls] of [[`${a.form}${a.role ? ` (${a.role})` : ""}`, ""], [fmt.format(a.views), "num"], [pct(a.conversion), "num"], [fmt.format(a.funnel.leads), "num"],
        [pct(a.qualified_rate), "num"], [pct(a.funnel.acceptance_rate), "num"], [pct(a.funnel.win_rate), "num"], [money(a.funnel.revenue), "num"]]) {
        const td = tr.insertCell();
        td.textContent = text;
        td.className = cls;
      }
    }
    const sure = (z) => (z == null ? "not yet comparable" : Math.abs(z) >= 1.96 ? `a real difference (z ${z})` : `no clear difference yet (z ${z})`);
    const note = Object.assign(document.createElement("p"), { className: "note" });
    note.textContent = `Variant against control: qualified rate ${sure(e.qualified_z)}; win rate ${sure(e.win_z)}.`
      + (e.disagreements ? ` ${e.disagreements} lead(s) whose browser computed another arm.` : "");
    note.dataset.verdict = e.qualified_z != null && Math.abs(e.qualified_z) >= 1.96 ? "differs" : "open";
    box.append(h, chart, t, note);
    return box;
  }));
}

const TOUCH_ENDS = [5, 15, 60, 240, 1440];

function draw(v) {
  tiles(v);
  columns($("volume"), v.by_day.map((d) => ({ ...d, label: d.key.slice(5) })), [
    { name: "leads", color: "#c5cdf7", value: (d) => d.leads },
    { name: "qualified", color: "#2746d8", value: (d) => d.qualified },
  ], "Leads and qualified leads per day");
  const sp = v.speed, sla = sp.sla_minutes;
  const ms = (x) => (x == null ? "–" : x < 1000 ? `${Math.round(x)} ms` : x < 120_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x / 60_000)} min`);
  $("speed-note").textContent = `System (submit → delivered): median ${ms(sp.system_ms.p50)}, 90 % within ${ms(sp.system_ms.p90)}. `
    + `People (delivered → first touch): median ${ms(sp.human_ms.p50)}, 90 % within ${ms(sp.human_ms.p90)}.`;
  const at = sla == null ? null : TOUCH_ENDS.findIndex((e) => sla <= e);
  columns($("speed"), sp.first_touch_minutes.map((b) => ({ ...b, label: `${b.key} min` })), [
    { name: "first touches", color: "#2746d8", value: (b) => b.count },
  ], "Minutes from submit to first touch", {
    line: sla == null ? undefined : { at: at < 0 ? TOUCH_ENDS.length : at + 1, text: `SLA ${sla} min` },
  });
  columns($("grades"), v.by_grade, [
    { name: "leads", color: "#c5cdf7", value: (g) => g.leads },
    { name: "accepted", color: "#7d93f0", value: (g) => g.accepted },
    { name: "won", color: "#2746d8", value: (g) => g.won },
  ], "Leads, accepted and won per grade");
  rows($("rules"), v.by_rule, "Leads per rule, with their win rate", {
    value: (r) => r.leads, note: (r) => ` leads · ${pct(r.win_rate)} won · ${pct(r.acceptance_rate)} accepted`,
  });
  // Half-width boxes: a narrower drawing, so the text stays readable.
  const half = { W: 380, left: 150, room: 40 };
  rows($("rejections"), v.rejection_reasons, "Rejection reasons", half);
  rows($("losses"), v.loss_reasons, "Loss reasons", half);
  slaTable(v);
  rows($("sources"), v.by_source, "Leads per source", {
    value: (s) => s.leads, note: (s) => ` leads · ${s.won} won · ${money(s.revenue)}`,
  });
}

let report = null;

function showVersion() {
  const v = report?.versions.find((x) => x.version === $("version").value) ?? report?.versions[0];
  if (!v) {
    $("report").hidden = true;
    return status("No leads in this window.");
  }
  draw(v);
  $("report").hidden = false;
  document.body.dataset.ready = v.version;
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

async function load() {
  const token = $("token").value.trim();
  if (!token) return status("Paste the admin token (the Worker's ADMIN_TOKEN secret).", true);
  sessionStorage.setItem("baton:admin", token);
  const q = new URLSearchParams({ since: new Date(Date.now() - Number($("days").value) * 86_400_000).toISOString() });
  if ($("form").value) q.set("form", $("form").value);
  status("Loading…");
  const res = await fetch(`/v1/reports?${q}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => null);
  if (!res.ok) return status(body?.error?.message ?? `The edge answered ${res.status}.`, true);
  report = body;
  const keep = $("version").value;
  $("version").replaceChildren(...report.versions.map((v) => new Option(`${v.version.slice(0, 8)} (${v.totals.leads} leads)`, v.version)));
  if (report.versions.some((v) => v.version === keep)) $("version").value = keep;
  status(`${report.versions.length} playbook version${report.versions.length === 1 ? "" : "s"} in this window.`);
  experiments(report.experiments ?? []);
  $("csv").onclick = async (e) => {
    e.preventDefault();
    const csv = await fetch(`/v1/reports/leads.csv?${q}`, { headers: { authorization: `Bearer ${token}` } });
    const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await csv.blob()), download: "baton-leads.csv" });
    a.click();
  };
  showVersion();
}

async function start() {
  // A token handed over in the fragment is taken and dropped from the URL.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    sessionStorage.setItem("baton:admin", hash.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  $("token").value = sessionStorage.getItem("baton:admin") ?? "";
  const health = await fetch("/v1/health").then((r) => r.json()).catch(() => ({ forms: [] }));
  for (const f of health.forms ?? []) $("form").append(new Option(f.id, f.id));
  $("controls").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("version").addEventListener("change", showVersion);
  if ($("token").value) load();
}

start();
