/*! Baton: posts the pre-rendered form where the widget's wasm cannot run (a
 * CSP without 'wasm-unsafe-eval', no WebAssembly, a failed download). The
 * browser's own constraint checks have passed; the edge re-checks
 * everything and answers in HTML, the widget's own closing message (or 4xx
 * JSON naming what to fix). One Idempotency-Key per form, kept across
 * retries, so a resend after a lost answer stores the lead once. */
import { seen } from "./live.js";

export function post(f, api, form, locale) {
  seen();
  var q = new URLSearchParams(location.search), fields = {}, utm = {}, pages = [];
  [].forEach.call(f.elements, function (e) {
    if (!e.name || e.disabled) return;
    if (e.type === "checkbox") {
      // A multiselect's boxes share a fieldset; a lone box is yes/no.
      if (e.closest("fieldset")) { if (e.checked) (fields[e.name] = fields[e.name] || []).push(e.value); }
      else if (e.checked) fields[e.name] = true;
    } else if (e.type === "hidden") {
      var v = e.dataset.param && q.get(e.dataset.param);
      if (v) fields[e.name] = v;
    } else if (e.value) fields[e.name] = e.value;
  });
  ["source", "medium", "campaign", "term", "content"].forEach(function (k) {
    var v = q.get("utm_" + k);
    if (v) utm[k] = v;
  });
  try { pages = JSON.parse(sessionStorage.getItem("baton:pages") || "[]"); } catch (e) { /* none */ }
  var vid;
  try { vid = localStorage.getItem("baton:vid") || undefined; } catch (e) { /* none: the control */ }
  var key = f.__batonKey || (f.__batonKey = self.crypto && crypto.randomUUID
    ? crypto.randomUUID()
    : Math.random().toString(16).slice(2) + Date.now().toString(16));
  var box = f.parentNode, host = box.getRootNode().host, alert = f.querySelector(".baton-alert"), button = f.querySelector("[type=submit]");
  var fire = function (n, x) {
    x.form = form;
    host.dispatchEvent(new CustomEvent("baton:" + n, { bubbles: true, composed: true, detail: x }));
  };
  var say = function (m, reason, fields) {
    fire("error", { reason: reason, fields: fields || [] });
    if (!alert) {
      alert = document.createElement("p");
      alert.className = "baton-alert";
      alert.setAttribute("role", "alert");
      f.insertBefore(alert, f.querySelector(".baton-actions"));
    }
    alert.textContent = m;
  };
  if (button) button.disabled = true;
  fetch(api + "/v1/leads", {
    method: "POST",
    credentials: "omit",
    headers: { "content-type": "application/json", accept: "text/html", "idempotency-key": key },
    body: JSON.stringify({
      v: 1,
      form: form,
      submission: {
        locale: locale || undefined,
        fields: fields,
        context: { page_url: location.href, referrer: document.referrer || undefined, utm: utm, pages_seen: Array.isArray(pages) ? pages : [], visitor_id: vid },
      },
    }),
  }).then(function (r) {
    return r.text().then(function (t) {
      if (r.status === 201) {
        host.__sent = 1;
        var tt = window.__batonTT;
        box.innerHTML = tt ? tt.createHTML(t) : t;
        var o = box.firstElementChild;
        if (o && o.focus) o.focus();
        fire("submitted", { lead_id: r.headers.get("baton-lead-id") });
        return;
      }
      var b = {};
      try { b = JSON.parse(t); } catch (e) { /* not JSON */ }
      var err = b.error || {}, fields = err.fields || [];
      say(fields.map(function (x) {
        var l = f.querySelector('[for="b-' + x.field + '"]');
        return (l ? l.textContent.replace(/\s*\*$/, "") + ": " : "") + x.message;
      }).join(" ") || err.message || "HTTP " + r.status, fields.length ? "invalid" : "refused", fields.map(function (x) { return x.field; }));
    });
  }).catch(function () {
    say(/^de\b/i.test(locale) ? "Keine Verbindung. Bitte erneut senden." : "No connection. Please send again.", "offline");
  }).then(function () {
    if (button) button.disabled = false;
  });
}
