// The sales side, as a real HTTP server on loopback: a Standard Webhooks
// receiver (POST /hooks/:name, verified with the independent `standardwebhooks`
// library) and a stand-in for Slack incoming webhooks (POST /slack/:name) that
// speaks Slack's wire format. Both record every request and can be told to fail
// (control / POST /_control/:name). GET / is what the rep sees: one card per
// lead, live (Server-Sent Events), strict CSP, everything from payloads escaped.
//
// Used by the end-to-end tests (as where deliveries go) and by
// scripts/demo-receiver.mjs (as what a sales rep sees).

import { createServer } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** Bodies larger than this are answered 413 (and drained, then discarded). */
export const MAX_BODY = 1024 * 1024;
/** Past this much a too-large body is not even drained: the socket is destroyed. */
const DRAIN_MAX = 32 * 1024 * 1024;
const MODES = new Set(["ok", "status", "slow", "drop", "flaky"]);
const DEFAULT_SLOW_MS = 3000;

// ---------------------------------------------------------------------------
// Failure injection

/**
 * A stable fraction in [0, 1) of a string (FNV-1a 32-bit over its UTF-8):
 * the same id always lands in the same place, so "flaky" is deterministic.
 */
export function stableFraction(s) {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(String(s), "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x1_0000_0000;
}

function isFailureKind(f) {
  return f === "drop" || f === "slow" || (/^\d{3}$/.test(f) && Number(f) >= 100 && Number(f) <= 599);
}

/** Checks and normalises a behaviour; throws a TypeError saying what is wrong. */
export function normalizeBehaviour(b) {
  if (b == null) return { mode: "ok" };
  if (typeof b !== "object" || Array.isArray(b)) throw new TypeError("behaviour must be an object like {\"mode\":\"ok\"}");
  const mode = b.mode ?? "ok";
  if (!MODES.has(mode)) throw new TypeError(`unknown mode ${JSON.stringify(mode)}: use ok, status, slow, drop or flaky`);
  const out = { mode };
  if (b.times !== undefined && b.times !== null) {
    if (!Number.isInteger(b.times) || b.times < 1) throw new TypeError("times must be a positive integer");
    out.times = b.times;
  }
  const retryAfter = (v) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) return Math.round(v);
    if (typeof v === "string" && v.length > 0 && v.length < 100) return v;
    throw new TypeError("retryAfter must be a number of seconds (or an HTTP date string)");
  };
  const ms = (v, dflt) => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 600_000) throw new TypeError("ms must be 0..600000");
    return v;
  };
  if (mode === "status") {
    if (!Number.isInteger(b.status) || b.status < 100 || b.status > 599) throw new TypeError("status mode needs status: an integer 100..599");
    out.status = b.status;
    const ra = retryAfter(b.retryAfter);
    if (ra !== undefined) out.retryAfter = ra;
  } else if (mode === "slow") {
    out.ms = ms(b.ms, DEFAULT_SLOW_MS);
    if (b.status !== undefined) {
      if (!Number.isInteger(b.status) || b.status < 100 || b.status > 599) throw new TypeError("status must be an integer 100..599");
      out.status = b.status;
    }
  } else if (mode === "flaky") {
    const f = b.firstAttempts ?? 0.5;
    if (typeof f !== "number" || !(f >= 0 && f <= 1)) throw new TypeError("firstAttempts must be a fraction 0..1");
    out.firstAttempts = f;
    const failures = (b.failures ?? ["500"]).map(String);
    if (!Array.isArray(b.failures ?? []) || failures.length === 0 || !failures.every(isFailureKind)) {
      throw new TypeError("failures must be a non-empty list of \"drop\", \"slow\" or status codes like \"500\", \"429\"");
    }
    out.failures = failures;
    out.ms = ms(b.ms, DEFAULT_SLOW_MS);
    out.retryAfter = retryAfter(b.retryAfter) ?? 1;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Slack's wire format

const BLOCK_TYPES = new Set(["header", "section", "context", "divider", "actions", "image", "rich_text"]);

function textObjectError(t, where, max, { plainOnly = false } = {}) {
  if (!t || typeof t !== "object" || Array.isArray(t)) return `${where} must be a text object`;
  if (plainOnly ? t.type !== "plain_text" : t.type !== "plain_text" && t.type !== "mrkdwn") {
    return `${where}.type must be ${plainOnly ? "plain_text" : "plain_text or mrkdwn"}`;
  }
  if (typeof t.text !== "string" || t.text.length === 0) return `${where}.text must be a non-empty string`;
  if (t.text.length > max) return `${where}.text is longer than ${max} characters (${t.text.length})`;
  return null;
}

function blockError(b, i) {
  const at = `blocks[${i}]`;
  if (!b || typeof b !== "object" || Array.isArray(b)) return `${at} is not an object`;
  if (!BLOCK_TYPES.has(b.type)) return `${at}.type ${JSON.stringify(b.type)} is not a known block type`;
  if (b.block_id !== undefined && (typeof b.block_id !== "string" || b.block_id.length > 255)) return `${at}.block_id must be a string of at most 255 characters`;
  switch (b.type) {
    case "header":
      return textObjectError(b.text, `${at}.text`, 150, { plainOnly: true });
    case "section": {
      if (b.text === undefined && b.fields === undefined) return `${at} needs text or fields`;
      if (b.text !== undefined) {
        const e = textObjectError(b.text, `${at}.text`, 3000);
        if (e) return e;
      }
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0) return `${at}.fields must be a non-empty array`;
        if (b.fields.length > 10) return `${at}.fields has ${b.fields.length} items, more than 10`;
        for (let j = 0; j < b.fields.length; j++) {
          const e = textObjectError(b.fields[j], `${at}.fields[${j}]`, 2000);
          if (e) return e;
        }
      }
      if (b.accessory !== undefined && (!b.accessory || typeof b.accessory !== "object" || typeof b.accessory.type !== "string")) {
        return `${at}.accessory must be an element with a type`;
      }
      return null;
    }
    case "context": {
      if (!Array.isArray(b.elements) || b.elements.length === 0) return `${at}.elements must be a non-empty array`;
      if (b.elements.length > 10) return `${at}.elements has ${b.elements.length} items, more than 10`;
      for (let j = 0; j < b.elements.length; j++) {
        const el = b.elements[j];
        if (el && el.type === "image") {
          if (typeof el.image_url !== "string" && !el.slack_file) return `${at}.elements[${j}] image needs image_url`;
          if (typeof el.alt_text !== "string") return `${at}.elements[${j}] image needs alt_text`;
        } else {
          const e = textObjectError(el, `${at}.elements[${j}]`, 3000);
          if (e) return e;
        }
      }
      return null;
    }
    case "actions": {
      if (!Array.isArray(b.elements) || b.elements.length === 0) return `${at}.elements must be a non-empty array`;
      if (b.elements.length > 25) return `${at}.elements has ${b.elements.length} items, more than 25`;
      for (let j = 0; j < b.elements.length; j++) {
        const el = b.elements[j];
        if (!el || typeof el !== "object" || typeof el.type !== "string") return `${at}.elements[${j}] must be an element with a type`;
        if (el.type === "button") {
          const e = textObjectError(el.text, `${at}.elements[${j}].text`, 75, { plainOnly: true });
          if (e) return e;
          if (el.url !== undefined && (typeof el.url !== "string" || el.url.length > 3000)) return `${at}.elements[${j}].url must be a string of at most 3000 characters`;
        }
      }
      return null;
    }
    case "image":
      if (typeof b.image_url !== "string" && !b.slack_file) return `${at} needs image_url`;
      if (typeof b.image_url === "string" && b.image_url.length > 3000) return `${at}.image_url is longer than 3000 characters`;
      if (typeof b.alt_text !== "string" || b.alt_text.length === 0) return `${at} needs alt_text`;
      if (b.title !== undefined) return textObjectError(b.title, `${at}.title`, 2000, { plainOnly: true });
      return null;
    case "rich_text":
      if (!Array.isArray(b.elements)) return `${at}.elements must be an array`;
      return null;
    default:
      return null;
  }
}

/**
 * Validates a parsed Slack incoming-webhook message the way Slack refuses one.
 * @returns {string|null} why it is invalid, or null when valid.
 */
export function slackMessageError(msg) {
  if (!msg || typeof msg !== "object" || Array.isArray(msg)) return "the payload is not a JSON object";
  const hasText = typeof msg.text === "string" && msg.text.trim().length > 0;
  if (msg.text !== undefined && msg.text !== null && typeof msg.text !== "string") return "text must be a string";
  const hasBlocks = msg.blocks !== undefined && msg.blocks !== null;
  const hasAttachments = Array.isArray(msg.attachments) && msg.attachments.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return "neither text nor blocks is present";
  if (hasBlocks) {
    if (!Array.isArray(msg.blocks)) return "blocks is not an array";
    if (msg.blocks.length > 50) return `blocks has ${msg.blocks.length} items, more than 50`;
    for (let i = 0; i < msg.blocks.length; i++) {
      const e = blockError(msg.blocks[i], i);
      if (e) return e;
    }
  }
  return null;
}

function parseSlackBody(body, contentType) {
  let json = body;
  if (/^application\/x-www-form-urlencoded/i.test(contentType ?? "")) {
    json = new URLSearchParams(body).get("payload");
    if (json === null) return { error: "form body without a payload field" };
  }
  try {
    return { message: JSON.parse(json) };
  } catch (e) {
    return { error: `the body is not JSON: ${e.message}` };
  }
}

// ---------------------------------------------------------------------------
// HTML helpers

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** HTML-escapes anything (null/undefined → ""). */
export function esc(v) {
  if (v === null || v === undefined) return "";
  return String(v).replace(/[&<>"']/g, (c) => ESC[c]);
}

const SLACK_ENT = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
/** Slack's escaping undone exactly once (`&amp;lt;` → `&lt;`). */
export function slackDecode(s) {
  return String(s).replace(/&(?:amp|lt|gt);/g, (m) => SLACK_ENT[m]);
}

/** The URL if it is absolute http(s)/mailto/tel, else null: never a javascript: link. */
export function safeUrl(u, { imagesOnly = false } = {}) {
  if (typeof u !== "string" || u.length === 0 || u.length > 8000) return null;
  try {
    const p = new URL(u.trim());
    const ok = imagesOnly ? ["http:", "https:"] : ["http:", "https:", "mailto:", "tel:"];
    return ok.includes(p.protocol) ? p.href : null;
  } catch {
    return null;
  }
}

function link(url, label, cls = "") {
  const safe = safeUrl(url);
  const text = esc(label ?? url);
  if (!safe) return text;
  return `<a${cls ? ` class="${cls}"` : ""} href="${esc(safe)}" rel="noopener noreferrer" target="_blank">${text}</a>`;
}

const EMOJI = {
  fire: "🔥", rotating_light: "🚨", warning: "⚠️", white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌",
  star: "⭐", star2: "🌟", telephone_receiver: "📞", phone: "☎️", email: "📧", envelope: "✉️", e_mail: "📧",
  bust_in_silhouette: "👤", office: "🏢", link: "🔗", calendar: "📆", date: "📅", alarm_clock: "⏰",
  hourglass: "⌛", hourglass_flowing_sand: "⏳", stopwatch: "⏱️", clock3: "🕒", chart_with_upwards_trend: "📈",
  bar_chart: "📊", moneybag: "💰", wave: "👋", tada: "🎉", rocket: "🚀", memo: "📝", bell: "🔔", books: "📚",
  page_facing_up: "📄", mag: "🔍", globe_with_meridians: "🌐", red_circle: "🔴", large_green_circle: "🟢",
  large_yellow_circle: "🟡", large_blue_circle: "🔵", zap: "⚡", dart: "🎯", briefcase: "💼", handshake: "🤝",
  iphone: "📱", eyes: "👀", no_entry: "⛔", lock: "🔒", unlock: "🔓", robot_face: "🤖", sparkles: "✨",
  point_right: "👉", arrow_right: "➡️", inbox_tray: "📥", new: "🆕", repeat: "🔁", compass: "🧭",
  pushpin: "📌", round_pushpin: "📍", label: "🏷️", trophy: "🏆", medal: "🏅", seedling: "🌱", snowflake: "❄️",
};
function emojify(s) {
  return s.replace(/:([a-z0-9_+-]{1,40}):/g, (m, name) => EMOJI[name] ?? m);
}

// Private-use characters mark slots and formatting while mrkdwn is parsed;
// any in the input are replaced first, so a payload cannot forge them.
const SLOT_OPEN = "\uE000";
const SLOT_CLOSE = "\uE001";
const MARKS = { "*": ["\uE002", "\uE003", "b"], _: ["\uE004", "\uE005", "i"], "~": ["\uE006", "\uE007", "s"] };

function controlLabel(inner) {
  const bar = inner.indexOf("|");
  return bar >= 0 ? inner.slice(bar + 1) : null;
}

/** Slack's date tokens (`{date_short_pretty} at {time}`), rendered in UTC. */
export function slackDate(ts, format) {
  const d = new Date(ts * 1000);
  const opt = (o) => new Intl.DateTimeFormat("en-US", { timeZone: "UTC", ...o }).format(d);
  const tokens = {
    date_num: d.toISOString().slice(0, 10),
    date: opt({ month: "long", day: "numeric", year: "numeric" }),
    date_short: opt({ month: "short", day: "numeric", year: "numeric" }),
    date_long: opt({ weekday: "long", month: "long", day: "numeric", year: "numeric" }),
    date_pretty: opt({ month: "long", day: "numeric", year: "numeric" }),
    date_short_pretty: opt({ month: "short", day: "numeric", year: "numeric" }),
    date_long_pretty: opt({ weekday: "long", month: "long", day: "numeric", year: "numeric" }),
    time: opt({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    time_secs: opt({ hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }),
  };
  const out = format.replace(/\{(\w+)\}/g, (m, k) => tokens[k] ?? m);
  return /\{time/.test(format) ? `${out} UTC` : out;
}

function renderControl(inner) {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : null;
  if (target.startsWith("@")) return `<span class="mention">@${esc(slackDecode(label || target.slice(1)))}</span>`;
  if (target.startsWith("#")) return `<span class="mention">#${esc(slackDecode(label || target.slice(1)))}</span>`;
  if (target.startsWith("!")) {
    const cmd = target.slice(1);
    if (["here", "channel", "everyone"].includes(cmd)) return `<span class="mention">@${cmd}</span>`;
    if (cmd.startsWith("date^")) {
      // As Slack shows it: the format filled in (here in UTC, Slack uses the
      // reader's zone); the text after `|` only when the token is unusable.
      const [, tsText, format] = cmd.split("^");
      const ts = Number(tsText);
      if (Number.isFinite(ts) && format) return esc(slackDate(ts, slackDecode(format)));
      if (label) return esc(slackDecode(label));
      return Number.isFinite(ts) ? esc(new Date(ts * 1000).toISOString()) : esc(`<${slackDecode(inner)}>`);
    }
    if (cmd.startsWith("subteam^")) return `<span class="mention">@${esc(slackDecode(label || cmd.slice(8)))}</span>`;
    return `<span class="mention">@${esc(slackDecode(label || cmd))}</span>`;
  }
  const url = safeUrl(slackDecode(target));
  const text = slackDecode(label !== null && label !== "" ? label : target);
  if (url) return `<a href="${esc(url)}" rel="noopener noreferrer" target="_blank">${esc(text)}</a>`;
  // Not a link Slack would make: show it as the literal text it is.
  return esc(`<${slackDecode(inner)}>`);
}

/**
 * Slack mrkdwn → HTML, as Slack shows it: *bold*, _italic_, ~strike~, `code`,
 * ```pre```, > quotes, <url|label> and <url> links, mentions, :emoji:, newlines;
 * Slack's &amp; &lt; &gt; decoded exactly once; everything else escaped.
 */
export function mrkdwnToHtml(src) {
  let s = String(src ?? "").replace(/[\uE000-\uE00F]/g, "\uFFFD");
  const slots = [];
  const slot = (html) => `${SLOT_OPEN}${slots.push(html) - 1}${SLOT_CLOSE}`;
  const plainInCode = (code) => code.replace(/<([^<>\n]*)>/g, (m, inner) => controlLabel(inner) ?? inner.replace(/^[@#!]/, ""));
  s = s.replace(/```([\s\S]*?)```/g, (_, code) => slot(`<pre>${esc(slackDecode(plainInCode(code.replace(/^\n/, ""))))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => slot(`<code>${esc(slackDecode(plainInCode(code)))}</code>`));
  s = s.replace(/<([^<>\n]*)>/g, (_, inner) => slot(renderControl(inner)));
  for (const [ch, [open, close]] of Object.entries(MARKS)) {
    const c = ch === "*" ? "\\*" : ch; // only * needs escaping (u-mode regexes refuse \_ and \~)
    const re = new RegExp(`(?<![\\p{L}\\p{N}${c}])${c}([^\\s${c}](?:[^${c}\\n]*?[^\\s${c}])?)${c}(?![\\p{L}\\p{N}${c}])`, "gu");
    s = s.replace(re, (_, inner) => `${open}${inner}${close}`);
  }
  const finish = (line) => {
    let h = esc(emojify(slackDecode(line)));
    for (const [open, close, tag] of Object.values(MARKS)) h = h.replaceAll(open, `<${tag}>`).replaceAll(close, `</${tag}>`);
    return h.replace(/\uE000(\d+)\uE001/g, (_, i) => slots[Number(i)] ?? "");
  };
  // Lines starting with a literal ">" are block quotes (the sender escapes a
  // user's ">" as &gt;, so only the sender's own quote marker is literal).
  const out = [];
  let quote = [];
  const flush = () => {
    if (quote.length) out.push(`<blockquote>${quote.join("<br>")}</blockquote>`);
    quote = [];
  };
  let plain = [];
  const flushPlain = () => {
    if (plain.length) out.push(plain.join("<br>"));
    plain = [];
  };
  for (const line of s.split("\n")) {
    if (line.startsWith(">")) {
      flushPlain();
      quote.push(finish(line.replace(/^> ?/, "")));
    } else {
      flush();
      plain.push(finish(line));
    }
  }
  flush();
  flushPlain();
  return out.join("");
}

function textObj(t) {
  if (!t || typeof t !== "object") return typeof t === "string" ? esc(t) : "";
  if (t.type === "mrkdwn") return mrkdwnToHtml(t.text);
  const s = slackDecode(String(t.text ?? ""));
  return esc(t.emoji === false ? s : emojify(s)).replace(/\n/g, "<br>");
}

function richTextElements(elements) {
  if (!Array.isArray(elements)) return "";
  return elements.map((el) => {
    if (!el || typeof el !== "object") return "";
    const st = el.style && typeof el.style === "object" ? el.style : {};
    let h;
    switch (el.type) {
      case "text": h = esc(el.text).replace(/\n/g, "<br>"); break;
      case "link": h = link(el.url, el.text ?? el.url); break;
      case "emoji": h = esc(EMOJI[el.name] ?? `:${el.name}:`); break;
      case "user": h = `<span class="mention">@${esc(el.user_id)}</span>`; break;
      case "usergroup": h = `<span class="mention">@${esc(el.usergroup_id)}</span>`; break;
      case "channel": h = `<span class="mention">#${esc(el.channel_id)}</span>`; break;
      case "broadcast": h = `<span class="mention">@${esc(el.range)}</span>`; break;
      case "date": h = esc(el.fallback ?? (Number.isFinite(el.timestamp) ? new Date(el.timestamp * 1000).toISOString() : "")); break;
      default: h = esc(el.text ?? "");
    }
    if (st.code) h = `<code>${h}</code>`;
    if (st.bold) h = `<b>${h}</b>`;
    if (st.italic) h = `<i>${h}</i>`;
    if (st.strike) h = `<s>${h}</s>`;
    return h;
  }).join("");
}

function richText(block) {
  return (Array.isArray(block.elements) ? block.elements : []).map((el) => {
    if (!el || typeof el !== "object") return "";
    switch (el.type) {
      case "rich_text_section": return `<div>${richTextElements(el.elements)}</div>`;
      case "rich_text_quote": return `<blockquote>${richTextElements(el.elements)}</blockquote>`;
      case "rich_text_preformatted": return `<pre>${richTextElements(el.elements)}</pre>`;
      case "rich_text_list": {
        const tag = el.style === "ordered" ? "ol" : "ul";
        const items = (Array.isArray(el.elements) ? el.elements : []).map((it) => `<li>${richTextElements(it?.elements)}</li>`).join("");
        return `<${tag}>${items}</${tag}>`;
      }
      default: return "";
    }
  }).join("");
}

function slackElement(el) {
  if (!el || typeof el !== "object") return "";
  if (el.type === "button") {
    const cls = `sbutton${el.style === "primary" ? " primary" : el.style === "danger" ? " danger" : ""}`;
    const label = textObj(el.text);
    const url = safeUrl(el.url);
    return url
      ? `<a class="${cls}" href="${esc(url)}" rel="noopener noreferrer" target="_blank">${label}</a>`
      : `<span class="${cls}">${label}</span>`;
  }
  if (el.type === "image") {
    const src = safeUrl(el.image_url, { imagesOnly: true });
    return src ? `<img class="small" src="${esc(src)}" alt="${esc(el.alt_text)}">` : `<span class="muted">[image: ${esc(el.alt_text)}]</span>`;
  }
  if (el.type === "plain_text" || el.type === "mrkdwn") return textObj(el);
  const label = el.placeholder ? textObj(el.placeholder) : esc(el.type);
  return `<span class="sbutton">${label} ▾</span>`;
}

/** Renders a Slack message (Block Kit, text fallback, legacy attachments) as Slack shows it. */
export function renderSlackMessage(msg) {
  if (!msg || typeof msg !== "object") return "";
  const parts = [];
  const blocks = Array.isArray(msg.blocks) ? msg.blocks : null;
  if (blocks) {
    for (const b of blocks) parts.push(renderBlock(b));
    if (typeof msg.text === "string" && msg.text) {
      parts.push(`<div class="fallback">notification text: ${mrkdwnToHtml(msg.text)}</div>`);
    }
  } else if (typeof msg.text === "string") {
    parts.push(`<div class="sblock">${msg.mrkdwn === false ? esc(slackDecode(msg.text)) : mrkdwnToHtml(msg.text)}</div>`);
  }
  if (Array.isArray(msg.attachments)) {
    for (const a of msg.attachments) {
      if (!a || typeof a !== "object") continue;
      const color = ["good", "warning", "danger"].includes(a.color) ? a.color : "neutral";
      const inner = [];
      if (a.title) inner.push(`<div class="sheader">${a.title_link ? link(a.title_link, slackDecode(a.title)) : esc(slackDecode(a.title))}</div>`);
      if (a.text) inner.push(`<div>${mrkdwnToHtml(a.text)}</div>`);
      if (Array.isArray(a.fields)) {
        inner.push(`<div class="fields">${a.fields.map((f) => `<div><b>${esc(slackDecode(f?.title ?? ""))}</b><br>${mrkdwnToHtml(f?.value ?? "")}</div>`).join("")}</div>`);
      }
      if (Array.isArray(a.blocks)) inner.push(a.blocks.map(renderBlock).join(""));
      parts.push(`<div class="attachment ${color}">${inner.join("")}</div>`);
    }
  }
  return `<div class="slack">${parts.join("")}</div>`;
}

function renderBlock(b) {
  if (!b || typeof b !== "object") return "";
  switch (b.type) {
    case "header": return `<div class="sheader">${textObj(b.text)}</div>`;
    case "section": {
      let h = "";
      if (b.text) h += `<div class="stext">${textObj(b.text)}</div>`;
      if (Array.isArray(b.fields)) h += `<div class="fields">${b.fields.map((f) => `<div>${textObj(f)}</div>`).join("")}</div>`;
      const acc = b.accessory ? `<div class="accessory">${slackElement(b.accessory)}</div>` : "";
      return `<div class="sblock section"><div class="smain">${h}</div>${acc}</div>`;
    }
    case "context":
      return `<div class="sblock context">${(Array.isArray(b.elements) ? b.elements : []).map((el) => `<span>${slackElement(el)}</span>`).join(" ")}</div>`;
    case "divider": return "<hr>";
    case "actions":
      return `<div class="sblock actions">${(Array.isArray(b.elements) ? b.elements : []).map(slackElement).join(" ")}</div>`;
    case "image": {
      const src = safeUrl(b.image_url, { imagesOnly: true });
      const title = b.title ? `<div class="muted">${textObj(b.title)}</div>` : "";
      return `<div class="sblock image">${title}${src ? `<img src="${esc(src)}" alt="${esc(b.alt_text)}">` : `<span class="muted">[image: ${esc(b.alt_text)}]</span>`}</div>`;
    }
    case "rich_text": return `<div class="sblock rich">${richText(b)}</div>`;
    default: return `<div class="sblock muted">[unsupported block ${esc(b.type)}]</div>`;
  }
}

// ---------------------------------------------------------------------------
// What the rep sees

function fmtTime(iso) {
  if (iso === null || iso === undefined || iso === "") return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return esc(iso);
  const text = d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "long" });
  return `<time datetime="${esc(d.toISOString())}">${esc(text)}</time>`;
}

function fmtValue(v) {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(fmtValue).join(", ");
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const has = (v) => v !== null && v !== undefined && v !== "";

function row(label, html) {
  return html ? `<tr><th>${esc(label)}</th><td>${html}</td></tr>` : "";
}

function signatureBadge(rec) {
  return rec.verified
    ? `<span class="badge ok sig">signature verified</span>`
    : `<span class="badge bad sig">signature INVALID</span>${rec.error ? ` <span class="muted">${esc(rec.error)}</span>` : ""}`;
}

function agreementBadge(a) {
  if (!has(a)) return "";
  if (a === "match") return `<span class="badge ok">browser and edge agree</span>`;
  if (a === "mismatch") return `<span class="badge warn">browser and edge DISAGREE</span>`;
  if (a === "unclaimed") return `<span class="badge neutral">no browser claim (edge only)</span>`;
  return `<span class="badge neutral">${esc(a)}</span>`;
}

function renderLead(ev) {
  const d = isObj(ev.data) ? ev.data : {};
  const c = isObj(d.contact) ? d.contact : {};
  const route = isObj(d.route) ? d.route : {};
  const owner = isObj(route.owner) ? route.owner : null;
  const rep = isObj(d.rep) ? d.rep : null;
  const sla = isObj(d.sla) ? d.sla : null;
  const ctx = isObj(d.context) ? d.context : {};
  const utm = isObj(ctx.utm) ? ctx.utm : {};
  const qualified = ev.type === "lead.qualified" || d.qualified === true;
  const h = [];
  const kind = ev.type === "lead.qualified" ? `<span class="badge ok">qualified lead</span>`
    : ev.type === "lead.created" ? `<span class="badge neutral">new lead (not qualified)</span>`
    : ev.type === "lead.reassigned" ? `<span class="badge warn">reassigned to you: the first rep missed the deadline</span>`
      : `<span class="badge neutral">${esc(ev.type)}</span>`;
  const touch = has(d.touch) ? ` <span class="badge neutral">${d.touch === "returning" ? "returning visitor" : esc(d.touch)}</span>` : "";
  const grade = has(d.grade) || has(d.score)
    ? `<div class="grade ${qualified ? "q" : ""}"><span class="letter">${esc(d.grade ?? "?")}</span><span class="score">${esc(d.score ?? "")}${has(d.score) ? " pts" : ""}</span></div>` : "";
  h.push(`<div class="lead-head">${grade}<div><div>${kind}${touch}</div>`
    + `<h2 class="lead-name">${esc(c.name ?? c.email ?? d.lead_id ?? "unknown lead")}</h2>`
    + `<div class="who">${esc([c.title, c.company].filter(has).join(" · "))}</div>`
    + `<div class="contact">${has(c.email) ? link(`mailto:${c.email}`, c.email) : ""}${has(c.email) && has(c.phone) ? " · " : ""}${has(c.phone) ? link(`tel:${String(c.phone).replace(/[^\d+]/g, "")}`, c.phone) : ""}</div>`
    + `</div></div>`);
  if (has(d.knocked_out)) {
    const k = d.knocked_out;
    h.push(`<div class="knockout">knocked out: ${esc(isObj(k) ? [k.rule, k.description, k.because].filter(has).join(" — ") : fmtValue(k))}</div>`);
  }
  if (Array.isArray(d.reasons) && d.reasons.length) {
    h.push(`<h3>Why this score</h3><ul class="reasons">${d.reasons.map((r) => {
      if (!isObj(r)) return `<li>${esc(fmtValue(r))}</li>`;
      const p = Number(r.points);
      const pts = Number.isFinite(p) ? `${p > 0 ? "+" : ""}${p}` : esc(r.points ?? "");
      return `<li><span class="pts ${p < 0 ? "neg" : ""}">${esc(pts)}</span> ${esc(r.description ?? r.rule ?? "")}`
        + `${has(r.because) ? ` <span class="muted">— ${esc(r.because)}</span>` : ""}${has(r.rule) ? ` <code>${esc(r.rule)}</code>` : ""}</li>`;
    }).join("")}</ul>`);
  }
  const t = [];
  if (has(route.team_name) || has(route.route) || has(route.team)) {
    t.push(row("Route", `${esc(route.team_name ?? route.team ?? route.route)}${has(route.route) ? ` <code>${esc(route.route)}</code>` : ""}${has(route.because) ? ` <span class="muted">— ${esc(route.because)}</span>` : ""}`));
  }
  if (owner) t.push(row("Owner", `${esc(owner.rep)}${has(owner.basis) ? ` <code>${esc(owner.basis)}</code>` : ""}${has(owner.because) ? ` <span class="muted">— ${esc(owner.because)}</span>` : ""}`));
  if (rep) {
    t.push(row("Rep", `<b>${esc(rep.name ?? rep.id)}</b>${has(rep.id) && has(rep.name) ? ` <code>${esc(rep.id)}</code>` : ""}`
      + `${has(rep.email) ? ` · ${link(`mailto:${rep.email}`, rep.email)}` : ""}${has(rep.booking_url) ? ` · ${link(rep.booking_url, "booking link")}` : ""}`));
  } else if (has(d.rep)) t.push(row("Rep", esc(fmtValue(d.rep))));
  if (sla) {
    t.push(row("SLA", `${has(sla.minutes) ? `${esc(sla.minutes)} min — ` : ""}respond by ${fmtTime(sla.deadline)}`
      + `${has(sla.deadline) ? ` <span class="sla-rel" data-deadline="${esc(sla.deadline)}"></span>` : ""}`));
  }
  if (Array.isArray(d.answers) && d.answers.length) {
    t.push(row("Answers", `<ul class="plain">${d.answers.map((a) => isObj(a)
      ? `<li>${esc(a.label ?? a.field)}: <b>${esc(fmtValue(a.value))}</b></li>` : `<li>${esc(fmtValue(a))}</li>`).join("")}</ul>`));
  }
  const utms = ["source", "medium", "campaign", "term", "content"].filter((k) => has(utm[k])).map((k) => `utm_${k}=<b>${esc(utm[k])}</b>`);
  t.push(row("UTM", utms.join(" · ")));
  t.push(row("Referrer", has(ctx.referrer) ? link(ctx.referrer, ctx.referrer) : ""));
  t.push(row("Landing page", has(ctx.page_url) ? link(ctx.page_url, ctx.page_url) : ""));
  if (Array.isArray(ctx.pages_seen) && ctx.pages_seen.length) t.push(row("Pages seen", ctx.pages_seen.map((p) => `<code>${esc(fmtValue(p))}</code>`).join(" → ")));
  if (Array.isArray(ctx.content_seen) && ctx.content_seen.length) t.push(row("Content seen", esc(ctx.content_seen.map(fmtValue).join(", "))));
  if (Number.isFinite(ctx.time_on_page_ms)) t.push(row("Time on page", esc(`${Math.round(ctx.time_on_page_ms / 1000)} s`)));
  t.push(row("Browser / edge", agreementBadge(d.agreement)));
  if (Array.isArray(d.content) && d.content.length) {
    t.push(row("Send them", `<ul class="plain">${d.content.map((x) => isObj(x)
      ? `<li>${link(x.url, x.title ?? x.url ?? x.id)}${has(x.kind) ? ` <span class="badge neutral">${esc(String(x.kind).replace(/_/g, " "))}</span>` : ""}${has(x.summary) ? `<div class="muted">${esc(x.summary)}</div>` : ""}</li>`
      : `<li>${esc(fmtValue(x))}</li>`).join("")}</ul>`));
  }
  if (isObj(d.feedback)) {
    // What the rep did, one click each (the page asks before it records).
    const labels = [["accepted", "Accept"], ["contacted", "Contacted"], ["meeting_booked", "Meeting booked"], ["won", "Won"], ["lost", "Lost"], ["rejected", "Reject"]];
    t.push(row("Answer", labels.filter(([k]) => has(d.feedback[k])).map(([k, l]) => link(d.feedback[k], l)).join(" · ")
      + (has(d.feedback.expires_at) ? ` <span class="muted">until ${fmtTime(d.feedback.expires_at)}</span>` : "")));
  }
  t.push(row("Form", esc([d.form_name, has(d.form) ? `(${d.form})` : ""].filter(has).join(" "))));
  t.push(row("Lead", `${has(d.lead_url) ? link(d.lead_url, d.lead_id ?? d.lead_url) : esc(d.lead_id)}${has(d.created_at) ? ` · created ${fmtTime(d.created_at)}` : ""}`));
  t.push(row("Playbook", has(d.playbook_version) ? `<code>${esc(String(d.playbook_version).slice(0, 12))}</code>` : ""));
  h.push(`<table class="facts">${t.join("")}</table>`);
  return h.join("");
}

function renderMissed(d) {
  const c = isObj(d.contact) ? d.contact : {};
  const who = (r) => (isObj(r) ? [r.name, r.id].filter(has).join(" · ") : "");
  return `<h2 class="alert-title">⏰ Follow-up deadline missed</h2><table class="facts">`
    + row("Lead", `${esc([c.name ?? c.email, c.company].filter(has).join(", "))} ${has(d.lead_url) ? link(d.lead_url, d.lead_id ?? d.lead_url) : esc(d.lead_id)}`)
    + row("Grade", esc(`${d.grade ?? "?"} (${d.score ?? "?"} pts)`))
    + row("Due", `${fmtTime(d.due_at)}${has(d.minutes) ? ` <span class="muted">(${esc(d.minutes)} min)</span>` : ""}`)
    + row("Missed by", esc(who(d.missed_by)))
    + row("Now with", has(d.reassigned_to) ? esc(who(d.reassigned_to)) : "nobody else: step in")
    + `</table>`;
}

function renderAlert(ev) {
  const d = isObj(ev.data) ? ev.data : {};
  if (ev.type === "sla.missed") return renderMissed(d);
  const title = ev.type === "delivery.failed" ? "Delivery failed" : "Channel disabled";
  const rep = isObj(d.rep) ? [d.rep.name, d.rep.id, d.rep.email].filter(has).join(" · ") : fmtValue(d.rep);
  return `<h2 class="alert-title">⚠ ${esc(title)}</h2><table class="facts">`
    + row("Channel", esc(fmtValue(d.channel)))
    + row("Delivery", esc(d.delivery_id))
    + row("Attempts", esc(d.attempts))
    + row("Last error", has(d.last_error) ? `<code>${esc(fmtValue(d.last_error))}</code>` : "")
    + row("Lead", has(d.lead_url) ? link(d.lead_url, d.lead_id ?? d.lead_url) : esc(d.lead_id))
    + row("Rep", esc(rep))
    + `</table>`;
}

const ALERTS = new Set(["delivery.failed", "channel.disabled", "sla.missed"]);

function attemptsLine(recs) {
  const statuses = recs.map((r) => `${r.answered}${r.duplicate ? " (duplicate)" : ""}`);
  return `${recs.length} attempt${recs.length === 1 ? "" : "s"}: ${esc(statuses.join(" → "))}`;
}

function groupRecords(records, filter) {
  const groups = new Map();
  for (const r of records) {
    if (filter && r.name !== filter) continue;
    const key = r.id ? `${r.kind}\u0000${r.name}\u0000${r.id}` : `seq\u0000${r.seq}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  return [...groups.values()].sort((a, b) => b[0].seq - a[0].seq);
}

function renderCard(recs) {
  const last = recs[recs.length - 1];
  const head = (extra) => `<div class="card-head"><span class="badge neutral">${esc(last.kind)}</span> <b>${esc(last.name)}</b>`
    + ` <span class="muted">${attemptsLine(recs)} · first ${fmtTime(new Date(recs[0].at).toISOString())}</span>${extra}</div>`;
  if (last.kind === "webhook") {
    const shown = [...recs].reverse().find((r) => r.verified && r.event) ?? [...recs].reverse().find((r) => r.event) ?? last;
    const ev = shown.event;
    const alert = isObj(ev) && ALERTS.has(ev.type);
    let body;
    if (!isObj(ev)) body = `<pre class="raw">${esc(String(shown.body ?? "").slice(0, 4000))}</pre>`;
    else if (alert) body = renderAlert(ev);
    else if (typeof ev.type === "string" && ev.type.startsWith("lead.")) body = renderLead(ev);
    else body = `<h2>${esc(ev.type ?? "event")}</h2><pre class="raw">${esc(JSON.stringify(ev, null, 2).slice(0, 8000))}</pre>`;
    return `<article class="card${alert ? " alert" : ""}${shown.verified ? "" : " invalid"}" data-id="${esc(last.id)}">`
      + head(` ${signatureBadge(shown)}`) + body + `</article>`;
  }
  const shown = [...recs].reverse().find((r) => r.message) ?? last;
  const state = shown.valid ? `<span class="badge ok">accepted</span>` : `<span class="badge bad">refused: invalid_payload</span>${shown.error ? ` <span class="muted">${esc(shown.error)}</span>` : ""}`;
  const body = shown.message ? renderSlackMessage(shown.message) : `<pre class="raw">${esc(String(shown.body ?? "").slice(0, 4000))}</pre>`;
  const alert = /delivery failed|channel disabled|deadline missed/i.test(String(shown.message?.text ?? ""));
  return `<article class="card slack-card${alert ? " alert" : ""}">${head(` ${state}`)}${body}</article>`;
}

/** The cards (and summary) part of the page: what `GET /?fragment=1` answers. */
export function renderCards(records, { name = null } = {}) {
  const groups = groupRecords(records, name);
  const leads = groups.filter((g) => g[0].kind === "webhook" && isObj(g.at(-1).event) && !ALERTS.has(g.at(-1).event.type)).length;
  const alerts = groups.filter((g) => g.some((r) => isObj(r.event) && ALERTS.has(r.event.type))).length;
  const slack = groups.filter((g) => g[0].kind === "slack").length;
  const names = [...new Set(records.map((r) => r.name))].sort();
  const nav = names.length > 1 || name
    ? `<nav>${[`<a href="/"${name ? "" : ` class="current"`}>everyone</a>`, ...names.map((n) => `<a href="/?name=${esc(encodeURIComponent(n))}"${n === name ? ` class="current"` : ""}>${esc(n)}</a>`)].join(" ")}</nav>` : "";
  const summary = `<p class="summary">${records.length} request${records.length === 1 ? "" : "s"} · ${leads} lead${leads === 1 ? "" : "s"} by webhook · ${slack} Slack message${slack === 1 ? "" : "s"} · ${alerts} alert${alerts === 1 ? "" : "s"}</p>`;
  const cards = groups.length ? groups.map(renderCard).join("") : `<p class="muted empty">Nothing received yet. Submit a lead and it appears here.</p>`;
  return nav + summary + cards;
}

const CSS = `
:root{color-scheme:light;--ok:#137333;--bad:#c5221f;--warn:#b06000;--muted:#5f6368;--line:#dadce0}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#202124}
header{background:#1d1c1d;color:#fff;padding:14px 24px}header h1{margin:0;font-size:18px}header p{margin:2px 0 0;color:#bbb;font-size:13px}
main{max-width:920px;margin:0 auto;padding:16px}nav{margin:0 0 8px}nav a{margin-right:10px;color:#1a73e8}nav a.current{font-weight:700;color:#202124}
.summary{color:var(--muted);margin:0 0 12px}.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin:0 0 14px;box-shadow:0 1px 2px #0001}
.card.alert{border:2px solid var(--bad);background:#fce8e6}.card.invalid{border-left:6px solid var(--bad)}.card-head{font-size:13px;margin-bottom:8px}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;background:#e8eaed;color:#3c4043}
.badge.ok{background:#e6f4ea;color:var(--ok)}.badge.bad{background:#fce8e6;color:var(--bad)}.badge.warn{background:#fef7e0;color:var(--warn)}
.muted{color:var(--muted)}.lead-head{display:flex;gap:14px;align-items:center}.lead-name{margin:4px 0 0;font-size:22px}.who{color:#3c4043}
.grade{min-width:64px;text-align:center;border-radius:10px;background:#e8eaed;padding:6px}.grade.q{background:#e6f4ea;color:var(--ok)}
.grade .letter{display:block;font-size:28px;font-weight:800;line-height:1}.grade .score{font-size:12px}
h3{font-size:14px;margin:12px 0 4px}.reasons{margin:0;padding-left:18px}.pts{font-weight:700;color:var(--ok)}.pts.neg{color:var(--bad)}
.knockout{margin-top:8px;color:var(--bad);font-weight:600}table.facts{border-collapse:collapse;margin-top:10px;width:100%}
.facts th{text-align:left;vertical-align:top;color:var(--muted);font-weight:500;width:130px;padding:3px 8px 3px 0}.facts td{padding:3px 0}
ul.plain{margin:0;padding-left:18px}code{background:#f1f3f4;border-radius:4px;padding:0 4px;font-size:13px}pre{white-space:pre-wrap;background:#f1f3f4;padding:8px;border-radius:6px}
.alert-title{color:var(--bad);margin:4px 0}.slack{border-left:4px solid #611f69;padding-left:12px}.sheader{font-weight:800;font-size:18px;margin:4px 0}
.sblock{margin:6px 0}.section{display:flex;gap:12px;justify-content:space-between}.fields{display:grid;grid-template-columns:1fr 1fr;gap:6px 18px;margin-top:6px}
.context{font-size:12px;color:var(--muted)}.sbutton{display:inline-block;border:1px solid var(--line);border-radius:6px;padding:3px 12px;font-weight:600;color:#1d1c1d;text-decoration:none;margin:2px 4px 2px 0}
.sbutton.primary{background:#007a5a;border-color:#007a5a;color:#fff}.sbutton.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
img{max-width:100%}img.small{height:16px;vertical-align:middle}blockquote{border-left:4px solid #ddd;margin:4px 0;padding-left:8px}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}.fallback{font-size:12px;color:var(--muted);margin-top:6px}
.attachment{border-left:4px solid #ddd;padding-left:8px;margin:6px 0}.attachment.good{border-color:#2eb67d}.attachment.warning{border-color:#ecb22e}.attachment.danger{border-color:#e01e5a}
hr{border:0;border-top:1px solid var(--line)}.sla-rel{font-weight:600}.sla-rel.overdue{color:var(--bad)}.empty{text-align:center;padding:40px}
`;

// The only script: localises times, keeps SLA countdowns fresh and swaps the
// cards in when /events says something arrived. Runs under a CSP nonce.
const SCRIPT = `(() => {
  const cards = document.getElementById("cards");
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "long" });
  function localize(root) {
    for (const t of root.querySelectorAll("time[datetime]")) {
      const d = new Date(t.dateTime);
      if (!isNaN(d)) t.textContent = fmt.format(d);
    }
    for (const s of root.querySelectorAll("[data-deadline]")) {
      const ms = new Date(s.dataset.deadline) - Date.now();
      if (isNaN(ms)) continue;
      const min = Math.round(Math.abs(ms) / 60000);
      s.textContent = ms >= 0 ? "(in " + min + " min)" : "(overdue by " + min + " min)";
      s.classList.toggle("overdue", ms < 0);
    }
  }
  let busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const q = new URLSearchParams(location.search);
      q.set("fragment", "1");
      const r = await fetch("/?" + q.toString(), { cache: "no-store" });
      if (r.ok) { cards.innerHTML = await r.text(); localize(cards); }
    } catch (e) { /* the receiver restarted: EventSource reconnects */ }
    busy = false;
    if (again) { again = false; refresh(); }
  }
  localize(document);
  setInterval(() => localize(document), 30000);
  const es = new EventSource("/events");
  es.onmessage = refresh;
  es.onopen = refresh;
})();`;

/** The whole page. */
export function renderPage(records, { name = null, nonce = "" } = {}) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<title>Baton — what the rep sees</title><style nonce="${esc(nonce)}">${CSS}</style></head><body>`
    + `<header><h1>Baton — what the rep sees</h1><p>Webhook deliveries (Standard Webhooks, verified) and Slack messages, newest first. Live.</p></header>`
    + `<main id="cards">${renderCards(records, { name })}</main>`
    + `<script nonce="${esc(nonce)}">${SCRIPT}</script></body></html>`;
}

// ---------------------------------------------------------------------------
// .dev.vars

/** Parses dotenv-style text: KEY=VALUE, KEY="VALUE", KEY='VALUE', `export KEY=…`, # comments. */
export function parseDotenv(text) {
  const out = {};
  for (const raw of String(text).split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2];
    if (/^"(?:[^"\\]|\\.)*"/.test(v)) {
      v = /^"((?:[^"\\]|\\.)*)"/.exec(v)[1].replace(/\\(.)/g, (_, c) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c);
    } else if (/^'[^']*'/.test(v)) {
      v = /^'([^']*)'/.exec(v)[1];
    } else {
      v = v.replace(/\s+#.*$/, "").trim();
    }
    out[m[1]] = v;
  }
  return out;
}

/** From parsed .dev.vars: {NAME: whsec_…} for every WEBHOOK_URL_X=…/hooks/NAME with a WEBHOOK_SECRET_X. */
export function secretsFromVars(vars) {
  const secrets = {};
  for (const [k, v] of Object.entries(vars)) {
    const m = /^WEBHOOK_URL_(.+)$/.exec(k);
    if (!m) continue;
    const hook = /\/hooks\/([^/?#]+)/.exec(v);
    const secret = vars[`WEBHOOK_SECRET_${m[1]}`];
    if (hook && secret) secrets[decodeURIComponent(hook[1])] = secret;
  }
  return secrets;
}

// ---------------------------------------------------------------------------
// The server

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = (r) => { if (!done) { done = true; resolve(r); } };
    req.on("data", (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else chunks.length = 0;
      if (size > DRAIN_MAX) {
        req.destroy();
        finish({ size, tooBig: true, aborted: true });
      }
    });
    req.on("end", () => finish(size > MAX_BODY ? { size, tooBig: true } : { size, buf: Buffer.concat(chunks) }));
    req.on("error", () => finish({ size, aborted: true }));
    req.on("close", () => finish({ size, aborted: true }));
  });
}

function send(res, status, body, type = "text/plain; charset=utf-8", headers = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff", ...headers });
  res.end(body);
}
const sendJson = (res, status, v, headers) => send(res, status, JSON.stringify(v), "application/json", headers);

const SLACK_ERRORS = { 400: "invalid_payload", 403: "action_prohibited", 404: "no_service", 410: "channel_is_archived", 429: "rate_limited", 500: "internal_error", 503: "service_unavailable" };

/**
 * Starts the receiver.
 * @param {{port?: number, host?: string, secrets?: Record<string, string>}} [opts]
 *   secrets: hook name → `whsec_…` (read at request time, so it may be changed later).
 */
export async function startReceiver({ port = 0, host = "127.0.0.1", secrets = {} } = {}) {
  /** Every request, in arrival order. The same array for the receiver's whole life. */
  const received = [];
  const attempts = new Map(); // kind/name/id → requests so far
  const delivered = new Set(); // kind/name/id already answered 2xx
  const behaviours = new Map(); // name (or "*") → {b, remaining, cycle}
  const sse = new Set();
  const timers = new Set();
  let seq = 0;

  const tick = () => {
    for (const res of sse) res.write(`data: ${received.length}\n\n`);
  };
  const record = (r) => {
    r.seq = ++seq;
    received.push(r);
    tick();
    return r;
  };

  function control(name, behaviour) {
    const b = normalizeBehaviour(behaviour);
    if (b.mode === "ok") behaviours.delete(String(name));
    else behaviours.set(String(name), { b, remaining: b.times ?? Infinity, cycle: 0 });
    return b;
  }

  function reset() {
    received.length = 0;
    attempts.clear();
    delivered.clear();
    behaviours.clear();
    seq = 0;
    tick();
  }

  /** What to do with this request: null (behave) or a failure {kind: "status"|"drop"|"slow", …}. */
  function decide(name, id, attempt) {
    const key = behaviours.has(name) ? name : behaviours.has("*") ? "*" : null;
    if (key === null) return null;
    const st = behaviours.get(key);
    const { b } = st;
    let failure = null;
    if (b.mode === "status") failure = { kind: "status", status: b.status, retryAfter: b.retryAfter };
    else if (b.mode === "drop") failure = { kind: "drop" };
    else if (b.mode === "slow") failure = { kind: "slow", ms: b.ms, status: b.status ?? 200 };
    else if (b.mode === "flaky") {
      if (attempt === 1 && stableFraction(id ?? "") < b.firstAttempts) {
        const f = b.failures[st.cycle++ % b.failures.length];
        failure = f === "drop" ? { kind: "drop" }
          : f === "slow" ? { kind: "slow", ms: b.ms, status: 200 }
            : { kind: "status", status: Number(f), retryAfter: Number(f) === 429 ? b.retryAfter : undefined };
      }
    }
    if (failure && --st.remaining <= 0) behaviours.delete(key);
    return failure;
  }

  function verify(name, body, headers) {
    const secret = secrets[name];
    if (!secret) return { verified: false, error: `no secret configured for hook ${JSON.stringify(name)}` };
    try {
      const wh = new Webhook(secret);
      wh.verify(body, headers);
      return { verified: true };
    } catch (e) {
      if (e instanceof SyntaxError) return { verified: true, notJson: true };
      return { verified: false, error: e?.message ?? String(e) };
    }
  }

  // Answers with a failure; returns the answered value for the record.
  function fail(res, failure, kind, rec) {
    if (failure.kind === "drop") {
      rec.answered = "dropped";
      res.socket?.destroy();
      return;
    }
    if (failure.kind === "status") {
      rec.answered = failure.status;
      const headers = failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {};
      if (kind === "slack") send(res, failure.status, SLACK_ERRORS[failure.status] ?? `error_${failure.status}`, undefined, headers);
      else sendJson(res, failure.status, { error: `injected ${failure.status}` }, headers);
      return;
    }
    // slow: answer (2xx by default) after a delay, unless the sender hangs up first.
    rec.answered = "pending";
    rec.delayMs = failure.ms;
    const finish = () => {
      timers.delete(timer);
      if (res.writableEnded) return;
      if (res.destroyed || res.socket?.destroyed) {
        rec.answered = "aborted";
      } else {
        rec.answered = failure.status;
        if (failure.status >= 200 && failure.status < 300 && rec.id) delivered.add(rec.key);
        if (kind === "slack") send(res, failure.status, failure.status < 300 ? "ok" : SLACK_ERRORS[failure.status] ?? "error");
        else sendJson(res, failure.status, failure.status < 300 ? { ok: true } : { error: `injected ${failure.status}` });
      }
      tick();
    };
    const timer = setTimeout(finish, failure.ms);
    timers.add(timer);
    res.once("close", () => {
      if (!res.writableEnded && timers.has(timer)) {
        clearTimeout(timer);
        finish();
      }
    });
  }

  async function onHook(req, res, name, kind) {
    const got = await readBody(req);
    const h = req.headers;
    const base = kind === "webhook"
      ? { name, kind, id: h["webhook-id"] ?? null, timestamp: h["webhook-timestamp"] ?? null, signature: h["webhook-signature"] ?? null }
      : { name, kind };
    if (got.aborted && !got.tooBig) return; // the sender went away mid-body: nothing to record
    if (got.tooBig) {
      const specific = kind === "slack" ? { message: null, valid: false } : { verified: false, event: null };
      record({ ...base, ...specific, error: `body larger than ${MAX_BODY} bytes (${got.size})`, body: "", attempt: 1, answered: 413, at: Date.now(), headers: { ...h } });
      send(res, 413, kind === "slack" ? "invalid_payload" : "payload too large", undefined, { connection: "close" });
      return;
    }
    const body = got.buf.toString("utf8");
    if (kind === "webhook" && base.timestamp !== null && /^\d+$/.test(base.timestamp)) base.timestamp = Number(base.timestamp);
    const id = kind === "webhook" ? base.id : `sha256:${createHash("sha256").update(got.buf).digest("hex").slice(0, 32)}`;
    const key = `${kind}\u0000${name}\u0000${id}`;
    const attempt = id ? (attempts.get(key) ?? 0) + 1 : 1;
    if (id) attempts.set(key, attempt);

    let rec;
    if (kind === "webhook") {
      const v = verify(name, body, h);
      let event = null;
      try { event = JSON.parse(body); } catch { /* not JSON */ }
      rec = { ...base, verified: v.verified, ...(v.error ? { error: v.error } : {}), body, event, attempt, answered: null, at: Date.now(), headers: { ...h } };
      if (v.notJson) rec.error = "the body is not JSON";
    } else {
      const p = parseSlackBody(body, h["content-type"]);
      const err = p.error ?? slackMessageError(p.message);
      rec = { ...base, id, body, message: p.message ?? null, valid: !err, ...(err ? { error: err } : {}), attempt, answered: null, at: Date.now(), headers: { ...h } };
    }
    Object.defineProperty(rec, "key", { value: key, enumerable: false });

    const failure = decide(name, id, attempt);
    if (failure) {
      rec.injected = failure.kind === "status" ? String(failure.status) : failure.kind;
      fail(res, failure, kind, rec);
      record(rec);
      return;
    }
    if (kind === "webhook") {
      if (!rec.verified) {
        rec.answered = 401;
        sendJson(res, 401, { error: rec.error });
      } else if (rec.event === null) {
        rec.answered = 400;
        sendJson(res, 400, { error: "the body is not JSON" });
      } else if (id && delivered.has(key)) {
        rec.answered = 200;
        rec.duplicate = true;
        sendJson(res, 200, { ok: true, duplicate: true });
      } else {
        rec.answered = 200;
        if (id) delivered.add(key);
        sendJson(res, 200, { ok: true });
      }
    } else if (!rec.valid) {
      rec.answered = 400;
      send(res, 400, "invalid_payload");
    } else {
      rec.answered = 200;
      if (delivered.has(key)) rec.duplicate = true;
      delivered.add(key);
      send(res, 200, "ok");
    }
    record(rec);
  }

  async function onControl(req, res, name) {
    const got = await readBody(req);
    if (!got.buf) return send(res, 413, "payload too large");
    let b;
    try {
      b = control(name, got.buf.length ? JSON.parse(got.buf.toString("utf8")) : { mode: "ok" });
    } catch (e) {
      return sendJson(res, 400, { error: e.message });
    }
    sendJson(res, 200, { name, behaviour: b });
  }

  function onEvents(req, res) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-content-type-options": "nosniff" });
    res.write(`retry: 1000\ndata: ${received.length}\n\n`);
    sse.add(res);
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    ping.unref();
    res.on("close", () => {
      clearInterval(ping);
      sse.delete(res);
    });
  }

  async function handle(req, res) {
    let url;
    try {
      url = new URL(req.url, "http://receiver.invalid");
    } catch {
      return send(res, 400, "bad request");
    }
    let parts;
    try {
      parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
    } catch {
      return send(res, 400, "bad path encoding");
    }
    const m = req.method;
    if ((parts[0] === "hooks" || parts[0] === "slack") && parts.length === 2 && parts[1]) {
      if (m !== "POST") return send(res, 405, "method not allowed", undefined, { allow: "POST" });
      return onHook(req, res, parts[1], parts[0] === "hooks" ? "webhook" : "slack");
    }
    if (parts[0] === "_control" && parts.length === 2 && parts[1]) {
      if (m === "POST") return onControl(req, res, parts[1]);
      if (m === "GET") return sendJson(res, 200, behaviours.get(parts[1])?.b ?? { mode: "ok" });
      return send(res, 405, "method not allowed", undefined, { allow: "GET, POST" });
    }
    if (url.pathname === "/_received" && m === "GET") {
      const name = url.searchParams.get("name");
      const kind = url.searchParams.get("kind");
      return sendJson(res, 200, received.filter((r) => (!name || r.name === name) && (!kind || r.kind === kind)));
    }
    if (url.pathname === "/_reset" && m === "POST") {
      req.resume();
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === "/events" && m === "GET") return onEvents(req, res);
    if (url.pathname === "/" && (m === "GET" || m === "HEAD")) {
      const name = url.searchParams.get("name") || null;
      if (url.searchParams.get("fragment")) return send(res, 200, renderCards(received, { name }), "text/html; charset=utf-8");
      const nonce = randomBytes(16).toString("base64");
      return send(res, 200, renderPage(received, { name, nonce }), "text/html; charset=utf-8", {
        "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' https: http: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        "referrer-policy": "no-referrer",
      });
    }
    if (url.pathname === "/favicon.ico") return send(res, 204, "");
    req.resume();
    return send(res, 404, "not found");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      // Never crash on bad input: answer 500 and keep serving.
      try { send(res, 500, `receiver error: ${e?.message ?? e}`); } catch { /* socket gone */ }
    });
  });
  server.on("clientError", (err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const actual = server.address().port;
  const shownHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${actual}`,
    port: actual,
    received,
    control,
    reset,
    /** Resolves with the records once pred(records) is true; polls every 20 ms. */
    waitFor(predicate, timeoutMs = 5000) {
      const started = Date.now();
      return new Promise((ok, fail) => {
        let lastError = null;
        const check = () => {
          try {
            if (predicate(received)) return ok(received);
          } catch (e) {
            lastError = e;
          }
          if (Date.now() - started >= timeoutMs) {
            const seen = received.slice(-10).map((r) => `${r.kind} ${r.name} ${r.id ?? ""} attempt ${r.attempt} → ${r.answered}${r.event?.type ? ` (${r.event.type})` : ""}`);
            return fail(new Error(`receiver.waitFor: condition not met within ${timeoutMs} ms; ${received.length} request(s) received`
              + `${seen.length ? `, the last:\n  ${seen.join("\n  ")}` : ""}${lastError ? `\nthe predicate last threw: ${lastError.message}` : ""}`));
          }
          setTimeout(check, 20);
        };
        check();
      });
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const res of sse) res.end();
      sse.clear();
      await new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    },
  };
}
