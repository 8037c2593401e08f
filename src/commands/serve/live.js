// galley serve: reload when the site is rebuilt, keeping the scroll
// position, and show a failed build over the last good one. Served only by
// `galley serve`; never part of a built site.
(function () {
  "use strict";
  var me = document.currentScript;
  // "<server instance>-<n>": a page left open across a restart reloads too.
  var generation = me ? me.getAttribute("data-generation") : "";
  var key = "galley-serve-scroll:" + location.pathname;

  var saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(key) || "null");
    sessionStorage.removeItem(key);
  } catch (e) {
    saved = null;
  }
  if (saved) {
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    var restore = function () { window.scrollTo(saved[0], saved[1]); };
    restore();
    window.addEventListener("load", restore);
  }

  function style(box) {
    box.style.cssText =
      "position:fixed;left:1rem;right:1rem;bottom:1rem;max-height:50vh;overflow:auto;" +
      "z-index:2147483647;background:#fff;color:#1a1a1a;border:2px solid #b00020;" +
      "border-radius:6px;padding:0.75rem 1rem;box-shadow:0 4px 24px rgba(0,0,0,.35);" +
      "font:14px/1.4 system-ui,sans-serif";
    var pre = box.querySelector("pre");
    if (pre) pre.style.cssText = "margin:0.5rem 0 0;white-space:pre-wrap;font:13px/1.4 ui-monospace,monospace";
  }

  function show(text) {
    var box = document.getElementById("galley-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "galley-error";
      box.setAttribute("role", "alert");
      var p = document.createElement("p");
      p.textContent = "The last build failed; this is the last good build.";
      p.style.margin = "0";
      box.appendChild(p);
      box.appendChild(document.createElement("pre"));
      document.body.appendChild(box);
    }
    box.querySelector("pre").textContent = text;
    style(box);
  }

  var existing = document.getElementById("galley-error");
  if (existing) style(existing);

  if (!window.EventSource) return;
  var source = new EventSource("/__galley/events");
  source.addEventListener("reload", function (e) {
    if (e.data !== generation) {
      try {
        sessionStorage.setItem(key, JSON.stringify([window.scrollX, window.scrollY]));
      } catch (err) { /* private mode: reload without the position */ }
      source.close();
      location.reload();
    }
  });
  source.addEventListener("failed", function (e) { show(e.data); });
})();
