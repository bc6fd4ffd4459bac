/*! Baton embed loader. Paste where the form should appear:
 *   <script src="https://YOUR-EDGE/embed.js" data-form="demo" async></script>
 * Optional: data-locale="de" (else <html lang>, else the browser's language),
 * data-target="#css-selector" (mount into that element instead of after the tag),
 * data-api="https://other-edge" (where the playbook and leads go; default: where this file came from),
 * data-mode="popup" (no inline form: it opens in a dialog from any element with
 * data-baton-open="demo", or from Baton.open("demo")),
 * data-prefill-company="Acme" (answers filled in; URL parameters named after a
 * field, ?company=Acme, do the same; consent is never filled in),
 * data-preview (the live score and reasons, for marketers; or ?baton_preview=1).
 * The form lives in a shadow root, so the page's CSS cannot break it; theme it
 * with custom properties on the page: baton-form { --baton-accent: #0a7 }.
 * Fires baton:ready, baton:step, baton:qualified, baton:submitted and
 * baton:error on the <baton-form> element (they bubble), and pushes each to
 * window.dataLayer as baton_ready... with form id, step and grade, never answers.
 * The form's HTML comes first, rendered by the edge, and takes input at once;
 * the wasm follows when the form is near the viewport or the browser is idle,
 * and takes over keeping what was typed. Where wasm cannot run, the form
 * posts itself (widget/fallback.js). Under Trusted Types it uses the policy
 * "baton". Plain ES2017. */
(function () {
  "use strict";
  var doc = document, w = window, q = location.search;
  // Once per page, however many forms it embeds: every form's events reach
  // the tag manager once.
  if (!w.__batonSeen) {
    w.__batonSeen = 1;
    "ready step qualified submitted error".split(" ").forEach(function (n) {
      doc.addEventListener("baton:" + n, function (e) {
        var o = { event: "baton_" + n }, x = e.detail;
        for (var k in x) o["baton_" + k] = x[k];
        (w.dataLayer = w.dataLayer || []).push(o);
      });
    });
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

  var d = me.dataset;
  var base = new URL(".", me.src).href; // assets come from where this file came from, not the page
  var api = (d.api || new URL(me.src).origin).replace(/\/$/, "");
  var locale = d.locale || doc.documentElement.lang || navigator.language || "";
  var preview = "preview" in d || /[?&]baton_preview=1/.test(q);
  // A random id that keeps this browser in one arm of a playbook experiment
  // (the edge picks the arm from it); without storage, the control.
  var vid, s;
  try { s = localStorage; vid = s["baton:vid"] = s["baton:vid"] || Date.now().toString(36) + Math.random().toString(36).slice(2); } catch (e) { /* none */ }
  // The edge's HTML, escaped by Yew's renderer, is the only HTML it writes.
  var policy = w.__batonTT;
  try {
    if (!policy && w.trustedTypes) policy = w.__batonTT = trustedTypes.createPolicy("baton", { createHTML: function (h) { return h; } });
  } catch (e) { /* "baton" not allowed: the widget renders the form instead */ }

  // Form `form` in a new <baton-form> appended to `where` (else placed as
  // the script tag says); answers it.
  var embed = function (form, where) {
    var formUrl = api + "/v1/forms/" + encodeURIComponent(form);
    var host = doc.createElement("baton-form");
    host.setAttribute("data-form", form);
    var target = where || d.target && doc.querySelector(d.target);
    if (target) target.appendChild(host);
    else if (me.parentNode && me.parentNode !== doc.head) me.parentNode.insertBefore(host, me.nextSibling);
    else doc.body.appendChild(host);
    var fire = function (n, x) {
      x.form = form;
      host.dispatchEvent(new CustomEvent("baton:" + n, { bubbles: true, composed: true, detail: x }));
    };

    var root = host.attachShadow({ mode: "open" });
    // Shown only once styled, so the form never flashes unstyled. Fetched,
    // not <link>ed: a stylesheet in the page would hold back its load event.
    var styled = fetch(base + "widget/widget.css").then(function (r) { return r.text(); }).then(function (c) {
      var s = new CSSStyleSheet();
      s.replaceSync(c);
      root.adoptedStyleSheets = [s];
    }).catch(function () {}); // unstyled beats no form
    var box = doc.createElement("div");
    box.className = "baton";
    box.setAttribute("aria-busy", "true");
    root.append(box);
    var pre; // the edge's pre-rendered form, until the widget takes over

    var fail = function (e) {
      if (w.console) console.error("baton: " + (e && e.message || e));
      fire("error", { reason: "unavailable" });
      if (pre) return; // the pre-rendered form still works without the widget
      box.removeAttribute("aria-busy");
      box.textContent = /^de\b/i.test(locale)
        ? "Das Formular kann gerade nicht geladen werden. Bitte versuchen Sie es später erneut."
        : "The form cannot be loaded right now. Please try again later.";
      box.className = "baton baton-unavailable";
    };
    var html = fetch(formUrl + "/html?locale=" + encodeURIComponent(locale) + (preview ? "&preview=1" : "") + (vid ? "&visitor=" + vid : ""), { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("form HTML: HTTP " + r.status);
      return r.text();
    });
    Promise.all([html, styled]).then(function (v) {
      box.innerHTML = policy ? policy.createHTML(v[0]) : v[0];
      // Prefill from the page URL (?company=Acme) and data-prefill-company;
      // the widget takes the values over like typed ones.
      [].forEach.call(box.querySelectorAll("[name]"), function (e) {
        var n = e.name, v = new URLSearchParams(q).get(n) || d["prefill" + n[0].toUpperCase() + n.slice(1)];
        if (v == null || e.type === "hidden") return;
        if (e.type !== "checkbox") e.value = v;
        else if (e.closest("fieldset")) e.checked = v.split(",").indexOf(e.value) >= 0;
      });
      box.removeAttribute("aria-busy");
      pre = box;
      fire("ready", {});
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

    // The widget (widget/live.js, then one wasm instance for every form on
    // the page) when the form is near the viewport or the browser is idle,
    // whichever comes first.
    var started;
    var start = function () {
      if (started || !w.WebAssembly) return;
      started = 1;
      import(base + "widget/live.js").then(function (m) {
        return m.start(host, box, function () { return pre; }, form, formUrl, api, locale, preview, html, styled, fire);
      }).catch(fail);
    };
    if (w.IntersectionObserver) {
      var io = new IntersectionObserver(function (es) {
        if (es.some(function (x) { return x.isIntersecting; })) { io.disconnect(); start(); }
      }, { rootMargin: "200px" });
      io.observe(host);
    }
    (w.requestIdleCallback || setTimeout)(start, { timeout: 3000 });
    return host;
  };

  // Popups: any element with data-baton-open="<form>", or Baton.open("<form>").
  // The dialog's code comes only when one opens.
  var B = w.Baton = w.Baton || {};
  if (!B.open) {
    B.open = function (form) {
      return import(base + "widget/popup.js").then(function (m) { return m.open(form, embed, locale); });
    };
    doc.addEventListener("click", function (e) {
      var t = e.target.closest && e.target.closest("[data-baton-open]");
      if (t) {
        e.preventDefault();
        B.open(t.getAttribute("data-baton-open"));
      }
    });
  }
  if (d.mode !== "popup") embed(d.form);
})();
