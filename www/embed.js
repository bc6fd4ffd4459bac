/*! Baton embed loader. Paste where the form should appear:
 *   <script src="https://YOUR-EDGE/embed.js" data-form="demo" async></script>
 * Optional: data-locale="de" (else <html lang>, else the browser's language),
 * data-target="#css-selector" (mount into that element instead of after the tag),
 * data-api="https://other-edge" (where the playbook and leads go; default: where this file came from).
 * The form lives in a shadow root, so the page's CSS cannot break it; theme it
 * with custom properties on the page: baton-form { --baton-accent: #0a7 }.
 * Fires `baton:submitted` and `baton:qualified` (detail: form, lead_id, grade,
 * score, qualified) on the <baton-form> element; both bubble.
 * The form's HTML comes first, rendered by the edge, and takes input at once;
 * the wasm follows when the form is near the viewport or the browser is idle,
 * and takes over keeping what was typed. Where wasm cannot run, the form
 * posts itself (widget/fallback.js). Under Trusted Types it uses the policy
 * "baton". Plain ES2017. */
(function () {
  "use strict";
  var doc = document, w = window;
  // The page view counts once however many forms the page embeds.
  if (!w.__batonSeen) {
    w.__batonSeen = 1;
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
  var formUrl = api + "/v1/forms/" + encodeURIComponent(form);

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
  // Shown only once styled, so the form never flashes unstyled.
  var styled = new Promise(function (ok) { link.onload = link.onerror = ok; });
  var box = doc.createElement("div");
  box.className = "baton";
  box.setAttribute("aria-busy", "true");
  root.append(link, box);
  var pre; // the edge's pre-rendered form, until the widget takes over

  var fail = function (e) {
    if (w.console) console.error("baton: " + (e && e.message || e));
    if (pre) return; // the pre-rendered form still works without the widget
    box.removeAttribute("aria-busy");
    box.textContent = /^de\b/i.test(locale)
      ? "Das Formular kann gerade nicht geladen werden. Bitte versuchen Sie es später erneut."
      : "The form cannot be loaded right now. Please try again later.";
    box.className = "baton baton-unavailable";
  };
  var get = function (url, as) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r[as]();
    });
  };
  // The edge's HTML, escaped by Yew's renderer, is the only HTML it writes.
  var policy = w.__batonTT;
  try {
    if (!policy && w.trustedTypes) policy = w.__batonTT = trustedTypes.createPolicy("baton", { createHTML: function (h) { return h; } });
  } catch (e) { /* "baton" not allowed: the widget renders the form instead */ }
  var html = get(formUrl + "/html?locale=" + encodeURIComponent(locale), "text");
  Promise.all([html, styled]).then(function (v) {
    box.innerHTML = policy ? policy.createHTML(v[0]) : v[0];
    box.removeAttribute("aria-busy");
    pre = box;
  }).catch(function (e) {
    if (!w.WebAssembly) fail(e); // else the widget renders one
  });

  // Until the widget is live, a submit must not leak answers into the page
  // URL: the loader posts the lead itself (the edge decides either way).
  root.addEventListener("submit", function (e) {
    if (!pre || !pre.isConnected) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    var f = e.target;
    if (!f.checkValidity()) return f.reportValidity();
    import(base + "widget/fallback.js").then(function (m) { m.post(f, api, form, locale); }, fail);
  }, true);

  // The wasm (one instance for every form on the page) when the form is
  // near the viewport or the browser is idle, whichever comes first.
  var started;
  var start = function () {
    if (started || !w.WebAssembly) return;
    started = 1;
    var glue = w.__batonGlue || (w.__batonGlue = import(base + "widget/widget.js").then(function (m) {
      return m.default({ module_or_path: base + "widget/widget_bg.wasm" }).then(function () { return m; });
    }));
    var playbook = get(formUrl, "json");
    Promise.all([glue, playbook, html.then(null, function () {}), styled]).then(function (v) {
      if (host.__sent) return; // posted already, without the widget
      var fresh = box;
      if (pre) {
        fresh = doc.createElement("div");
        fresh.className = "baton";
        fresh.hidden = true;
        root.append(fresh);
      }
      box.removeAttribute("aria-busy");
      try {
        v[0].mount(host, fresh, pre || null, form, v[1], api, locale);
      } catch (e) {
        if (fresh !== box) fresh.remove();
        throw e;
      }
    }).catch(fail);
  };
  if (w.IntersectionObserver) {
    var io = new IntersectionObserver(function (es) {
      if (es.some(function (x) { return x.isIntersecting; })) { io.disconnect(); start(); }
    }, { rootMargin: "200px" });
    io.observe(host);
  }
  (w.requestIdleCallback || setTimeout)(start, { timeout: 3000 });
})();
