/*! Baton embed loader. Paste where the form should appear:
 *   <script src="https://YOUR-EDGE/embed.js" data-form="demo" async></script>
 * Optional: data-locale="de" (else <html lang>, else the browser's language),
 * data-target="#css-selector" (mount into that element instead of after the tag),
 * data-api="https://other-edge" (where the playbook and leads go; default: where this file came from).
 * The form lives in a shadow root, so the page's CSS cannot break it; theme it
 * with custom properties on the page: baton-form { --baton-accent: #0a7 }.
 * Fires `baton:submitted` and `baton:qualified` (detail: form, lead_id, grade,
 * score, qualified) on the <baton-form> element; both bubble. Plain ES2017. */
(function () {
  "use strict";
  var doc = document;
  // The page view counts once however many forms the page embeds.
  if (!window.__batonSeen) {
    window.__batonSeen = 1;
    try {
      var s = sessionStorage, k = "baton:pages", seen = JSON.parse(s.getItem(k) || "[]");
      if (!Array.isArray(seen)) seen = [];
      if (seen[seen.length - 1] !== location.pathname) seen.push(location.pathname);
      s.setItem(k, JSON.stringify(seen.slice(-20)));
    } catch (e) { /* storage disabled: pages_seen stays empty */ }
  }

  // async scripts still see currentScript while they run; the query covers loaders that hide it.
  var me = doc.currentScript;
  if (!me || !me.dataset.form) {
    me = [].filter.call(doc.querySelectorAll('script[src*="embed.js"][data-form]'), function (s) {
      return !s.__baton;
    })[0];
  }
  if (!me || me.__baton) return;
  me.__baton = 1;

  var d = me.dataset, form = d.form;
  var base = new URL(".", me.src).href; // assets come from where this file came from, not the page
  var api = (d.api || new URL(me.src).origin).replace(/\/$/, "");
  var locale = d.locale || doc.documentElement.lang || navigator.language || "";

  var host = doc.createElement("baton-form");
  host.setAttribute("data-form", form);
  var target = d.target && doc.querySelector(d.target);
  if (target) target.appendChild(host);
  else if (me.parentNode && me.parentNode !== doc.head) me.parentNode.insertBefore(host, me.nextSibling);
  else doc.body.appendChild(host);

  var root = host.attachShadow({ mode: "open" });
  var link = doc.createElement("link");
  link.rel = "stylesheet";
  link.href = base + "widget/widget.css";
  // Render only once styled, so the form never flashes unstyled.
  var styled = new Promise(function (ok) { link.onload = link.onerror = ok; });
  var box = doc.createElement("div");
  box.className = "baton";
  box.setAttribute("aria-busy", "true");
  root.append(link, box);

  var fail = function (e) {
    box.removeAttribute("aria-busy");
    box.textContent = /^de\b/i.test(locale)
      ? "Das Formular kann gerade nicht geladen werden. Bitte versuchen Sie es später erneut."
      : "The form cannot be loaded right now. Please try again later.";
    box.className = "baton baton-unavailable";
    if (window.console) console.error("baton: " + (e && e.message || e));
  };

  // Code, styles and playbook load in parallel; all three come from the edge.
  var glue = window.__batonGlue || (window.__batonGlue = import(base + "widget/widget.js").then(function (m) {
    return m.default({ module_or_path: base + "widget/widget_bg.wasm" }).then(function () { return m; });
  }));
  var playbook = fetch(api + "/v1/forms/" + encodeURIComponent(form), { credentials: "omit" }).then(function (r) {
    return r.json().then(function (b) {
      if (!r.ok) throw new Error((b && b.error && b.error.message) || "form `" + form + "`: HTTP " + r.status);
      return b;
    });
  });
  Promise.all([glue, playbook, styled]).then(function (v) {
    box.removeAttribute("aria-busy");
    v[0].mount(host, box, form, v[1], api, locale);
  }).catch(fail);
})();
