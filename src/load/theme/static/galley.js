// galley: highlight the section being read in the table of contents.
(function () {
  "use strict";
  var links = Array.prototype.slice.call(document.querySelectorAll(".toc-list a[href^='#']"));
  if (!("IntersectionObserver" in window) || links.length === 0) return;
  var byId = {};
  links.forEach(function (a) { byId[decodeURIComponent(a.getAttribute("href").slice(1))] = a; });
  var targets = Object.keys(byId).map(function (id) { return document.getElementById(id); }).filter(Boolean);
  var current = null;
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) {
        if (current) current.removeAttribute("aria-current");
        current = byId[e.target.id];
        if (current) current.setAttribute("aria-current", "true");
      }
    });
  }, { rootMargin: "0px 0px -75% 0px" });
  targets.forEach(function (t) { observer.observe(t); });
  // Escape closes a citation tooltip opened by keyboard focus.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && document.activeElement && document.activeElement.closest(".cite")) {
      document.activeElement.blur();
    }
  });
})();
