/*! Baton: the form in a dialog, loaded by embed.js when the first popup opens
 * (an element with data-baton-open="<form>" clicked, or Baton.open("<form>")).
 * A modal <dialog>: the page behind is inert (focus stays in the form),
 * Escape or the close button closes it, and focus goes back to whatever
 * opened it. Each form's dialog is made once and kept, answers and all. */
var dialogs = {};
var CSS =
  "dialog{padding:0;border:0;background:none;max-width:min(560px,calc(100vw - 16px));width:100%;max-height:calc(100vh - 16px);overflow:auto}" +
  "dialog::backdrop{background:rgb(16 24 40/55%)}" +
  ".close{position:absolute;inset-inline-end:8px;top:8px;z-index:1;width:36px;height:36px;border:0;border-radius:50%;" +
  "background:var(--baton-bg,#fff);color:var(--baton-text,#1b2330);font:24px/1 system-ui,sans-serif;cursor:pointer}" +
  ".close:focus-visible{outline:3px solid var(--baton-accent,#2f5bea);outline-offset:2px}" +
  ".box{position:relative}";

export function open(form, embed, locale) {
  var doc = document, back = doc.activeElement, p = dialogs[form];
  if (!p) {
    var host = doc.createElement("baton-popup");
    var root = host.attachShadow({ mode: "open" });
    // Constructed stylesheets need no style-src 'unsafe-inline' under a CSP.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    var dialog = doc.createElement("dialog");
    var box = doc.createElement("div");
    box.className = "box";
    var close = doc.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = "×";
    close.setAttribute("aria-label", /^de\b/i.test(locale) ? "Schließen" : /^he\b/i.test(locale) ? "סגירה" : "Close");
    close.onclick = function () { dialog.close(); };
    box.append(close);
    dialog.append(box);
    root.append(dialog);
    doc.body.append(host);
    var formHost = embed(form, box);
    // The dialog is named by the form's title once the form is there, and
    // the visitor starts in its first field, not on the close button.
    var first = function () {
      var r = formHost.shadowRoot, f = r && r.querySelector(".baton:not([hidden]) :is(input:not([type=hidden]),select,textarea)");
      if (f && root.activeElement === close) f.focus();
    };
    formHost.addEventListener("baton:ready", function () {
      var t = formHost.shadowRoot.querySelector(".baton-title");
      if (t) dialog.setAttribute("aria-label", t.textContent);
      if (dialog.open) first();
    }, { once: true });
    // A click on the backdrop (the dialog itself, outside its box) closes it.
    dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
    dialog.addEventListener("close", function () {
      if (p.back && p.back.focus) p.back.focus();
    });
    p = dialogs[form] = { dialog: dialog, host: formHost, first: first };
  }
  if (!p.dialog.open) {
    p.back = back;
    p.dialog.showModal();
    p.first();
  }
  return p.host;
}
