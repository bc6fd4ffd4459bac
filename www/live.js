/*! Baton: the live widget, loaded by embed.js when a form is near the
 * viewport or the browser is idle. Records the page view (pages_seen, once
 * per page), loads the wasm (one instance for every form on the page) and
 * mounts it beside the edge's pre-rendered form, which it then replaces
 * keeping what the visitor typed (the widget's takeover.rs). */
export function start(host, box, pre, form, formUrl, api, locale, preview, html, styled, fire) {
  var w = window, doc = document, base = new URL(".", import.meta.url).href;
  seen();
  var glue = w.__batonGlue || (w.__batonGlue = import(base + "widget.js").then(function (m) {
    return m.default({ module_or_path: base + "widget_bg.wasm" }).then(function () { return m; });
  }));
  var vid;
  try { vid = localStorage.getItem("baton:vid"); } catch (e) { /* none: the control */ }
  // The visitor's arm of an experiment, as the pre-rendered form was.
  var playbook = fetch(formUrl + (vid ? "?visitor=" + encodeURIComponent(vid) : ""), { credentials: "omit" }).then(function (r) {
    if (!r.ok) throw new Error(formUrl + ": HTTP " + r.status);
    return r.json();
  });
  return Promise.all([glue, playbook, html.then(null, function () {}), styled]).then(function (v) {
    if (host.__sent) return; // posted already, without the widget
    var p = pre(), fresh = box, root = box.getRootNode();
    if (p) {
      fresh = doc.createElement("div");
      fresh.className = "baton";
      fresh.hidden = true;
      root.append(fresh);
    }
    box.removeAttribute("aria-busy");
    try {
      v[0].mount(host, fresh, p || null, form, v[1], api, locale, preview);
    } catch (e) {
      if (fresh !== box) fresh.remove();
      throw e;
    }
    if (!p) fire("ready", {});
  });
}

/** This page, at the end of the session's pages (the lead's pages_seen), once per page view. */
export function seen() {
  var w = window;
  if (w.__batonPage) return;
  w.__batonPage = 1;
  try {
    var s = sessionStorage, k = "baton:pages", pages = JSON.parse(s.getItem(k) || "[]");
    if (!Array.isArray(pages)) pages = [];
    if (pages[pages.length - 1] !== location.pathname) pages.push(location.pathname);
    s.setItem(k, JSON.stringify(pages.slice(-20)));
  } catch (e) { /* storage disabled: pages_seen stays empty */ }
}
