// galley serve: when the site is rebuilt, patch the page in place (only
// what changed, so the scroll position, focus and whatever the theme's
// script set stay as they are), and show a failed build over the last good
// one. Served only by `galley serve`; never part of a built site.
(function () {
  "use strict";
  var me = document.currentScript;
  // "<server instance>-<n>" of the build the page was served from: a page
  // left open across a restart reloads.
  var generation = me ? me.getAttribute("data-generation") : "";
  var LIVE = "/__galley/live.js";
  var key = "galley-serve-scroll:" + location.pathname;

  // A full reload (a changed script, a page that cannot be patched) comes
  // back where the reader was.
  var saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(key) || "null");
    sessionStorage.removeItem(key);
  } catch (e) {
    saved = null;
  }
  if (saved) {
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    // At once: the theme's smooth scrolling would animate it.
    var restore = function () { window.scrollTo({ left: saved[0], top: saved[1], behavior: "instant" }); };
    restore();
    window.addEventListener("load", restore);
  }

  function reload() {
    try {
      sessionStorage.setItem(key, JSON.stringify([window.scrollX, window.scrollY]));
    } catch (err) { /* private mode: reload without the position */ }
    if (source) source.close();
    location.reload();
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

  function dropOverlay(doc) {
    var box = doc.getElementById("galley-error");
    if (box) box.parentNode.removeChild(box);
  }

  var existing = document.getElementById("galley-error");
  if (existing) style(existing);

  // The site file a same-origin URL names, as the server keys it.
  function siteKey(url) {
    var u;
    try { u = new URL(url, location.href); } catch (e) { return null; }
    if (u.origin !== location.origin) return null;
    var p;
    try { p = decodeURIComponent(u.pathname); } catch (e) { return null; }
    p = p.replace(/^\//, "");
    return p === "" || p.slice(-1) === "/" ? p + "index.html" : p;
  }

  // The page's scripts that run (not data, not this one): a change to any
  // of them needs a reload, as they have run on the page as it was.
  function scripts(doc) {
    var out = [];
    Array.prototype.forEach.call(doc.scripts, function (s) {
      var type = (s.getAttribute("type") || "").toLowerCase();
      var runs = type === "" || type === "module" || type.indexOf("javascript") !== -1;
      var src = s.getAttribute("src") || "";
      if (runs && src !== LIVE) out.push(src + "\u0000" + s.text);
    });
    return out.join("\u0001");
  }

  // Attributes of the new build that the old one did not have the same.
  // Returns how many changed.
  function patchAttributes(old, neu, live) {
    var i, a, n = 0;
    for (i = 0; i < old.attributes.length; i++) {
      a = old.attributes[i];
      if (!neu.hasAttribute(a.name)) { live.removeAttribute(a.name); n++; }
    }
    for (i = 0; i < neu.attributes.length; i++) {
      a = neu.attributes[i];
      if (old.getAttribute(a.name) !== a.value) { live.setAttribute(a.name, a.value); n++; }
    }
    return n;
  }

  // Do the live node's children still stand where the served page had
  // them? (A script may have added or removed some.)
  function aligned(old, live) {
    var a = old.childNodes, b = live.childNodes;
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) {
      if (a[i].nodeName !== b[i].nodeName) return false;
    }
    return true;
  }

  function adopt(node) { return document.importNode(node, true); }

  // Make `live` (which showed `old`) show `neu`, touching only what differs
  // between `old` and `neu`. Returns the number of nodes changed.
  function patch(old, neu, live) {
    return old.isEqualNode(neu) ? 0 : patchUnequal(old, neu, live);
  }

  // `patch` of nodes known to differ. The children the two builds share at
  // the start and the end are left alone; those in between are patched
  // pairwise (the first is known to differ: it ended the shared start).
  function patchUnequal(old, neu, live) {
    if (old.nodeType !== 1) {
      live.nodeValue = neu.nodeValue;
      return 1;
    }
    var changed = patchAttributes(old, neu, live);
    if (!aligned(old, live)) {
      // Not as served: rebuild this element's content from the new build.
      while (live.firstChild) live.removeChild(live.firstChild);
      Array.prototype.forEach.call(neu.childNodes, function (c) { live.appendChild(adopt(c)); });
      return changed + 1;
    }
    var a = old.childNodes, b = neu.childNodes, l = live.childNodes;
    var start = 0, endA = a.length, endB = b.length;
    while (start < endA && start < endB && a[start].isEqualNode(b[start])) start++;
    while (endA > start && endB > start && a[endA - 1].isEqualNode(b[endB - 1])) { endA--; endB--; }
    var i;
    var liveMiddle = Array.prototype.slice.call(l, start, endA);
    var anchor = l[endA] || null;
    var pairs = Math.min(endA - start, endB - start);
    for (i = 0; i < pairs; i++) {
      var o = a[start + i], n = b[start + i], lv = liveMiddle[i];
      if (o.nodeName !== n.nodeName) {
        live.replaceChild(adopt(n), lv);
        changed++;
      } else {
        changed += i === 0 ? patchUnequal(o, n, lv) : patch(o, n, lv);
      }
    }
    for (i = pairs; i < liveMiddle.length; i++) { live.removeChild(liveMiddle[i]); changed++; }
    for (i = start + pairs; i < endB; i++) { live.insertBefore(adopt(b[i]), anchor); changed++; }
    return changed;
  }

  // A file the page uses changed: load it again (a style sheet is swapped
  // once the new one has loaded, so the page never shows unstyled).
  var RESOURCES = [["link[rel~='stylesheet'][href]", "href"], ["link[rel~='icon'][href]", "href"],
    ["img[src]", "src"], ["source[src]", "src"], ["object[data]", "data"], ["video[poster]", "poster"]];
  function refresh(changed, tag) {
    RESOURCES.forEach(function (r) {
      Array.prototype.forEach.call(document.querySelectorAll(r[0]), function (el) {
        var url = new URL(el.getAttribute(r[1]), location.href);
        if (changed.indexOf(siteKey(url.href)) === -1) return;
        url.searchParams.set("galley", tag);
        if (el.localName === "link" && r[1] === "href" && /stylesheet/i.test(el.rel)) {
          var next = el.cloneNode(false);
          next.setAttribute("href", url.href);
          next.addEventListener("load", function () { if (el.parentNode) el.parentNode.removeChild(el); });
          next.addEventListener("error", function () { if (el.parentNode) el.parentNode.removeChild(el); });
          el.parentNode.insertBefore(next, el.nextSibling);
        } else {
          el.setAttribute(r[1], url.href);
        }
      });
    });
  }

  // Timeline marks of an update (bench/serve_page.mjs reads them).
  function mark(what) {
    if (window.performance && performance.mark) performance.mark("galley:" + what);
  }

  function pageGeneration(doc) {
    var s = doc.querySelector("script[src='" + LIVE + "']");
    return s ? s.getAttribute("data-generation") : null;
  }

  // A page's text, parsed (not run).
  function parse(text) {
    var doc = new DOMParser().parseFromString(text, "text/html");
    mark("parsed");
    if (!doc.body || pageGeneration(doc) === null) throw new Error("not a page of the site");
    return { text: text, doc: doc };
  }

  // The page as the server has it now.
  function fetchPage() {
    return fetch(location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (text) {
        mark("fetched");
        return parse(text);
      });
  }

  // ---- One element patched from a reload event's edits, without parsing
  // the page: for an edit of text (or inside a tag) that adds or removes no
  // markup, as most edits of prose are.

  var VOID = /^(area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)$/;
  var RAW = /^(script|style|textarea|title|xmp|iframe|noembed|noframes|noscript)$/;

  // The end of the tag that starts at `lt` (after its `>`), quotes kept.
  function tagEnd(t, lt) {
    var q = null;
    for (var i = lt + 1; i < t.length; i++) {
      var c = t[i];
      if (q) { if (c === q) q = null; } else if (c === '"' || c === "'") q = c; else if (c === ">") return i + 1;
    }
    return -1;
  }

  function tagName(t, at) {
    var m = /^[A-Za-z][^\s\/>]*/.exec(t.slice(at, at + 64));
    return m ? m[0].toLowerCase() : null;
  }

  // The innermost element whose markup holds [a, b) of the text `t` (a
  // range without `<` or `>`): its tag names from <html> down, its index
  // among its parent's elements at each level, and where its markup starts
  // and ends. Null where the markup is not as plain as a galley page's (a
  // tag left to be closed by the parser, the range in a comment...); the
  // caller then compares whole pages.
  function enclosing(t, a, b) {
    var stack = [], kids = [0], found = -1, inTag = false, i = 0;
    while (i < t.length) {
      var lt = t.indexOf("<", i);
      if (lt === -1) return null;
      if (found < 0 && a <= lt) {
        if (b > lt || stack.length === 0) return null;
        found = stack.length - 1;
      }
      if (t.startsWith("<!--", lt)) {
        var close = t.indexOf("-->", lt + 4);
        if (close === -1 || (found < 0 && a < close + 3)) return null;
        i = close + 3;
        continue;
      }
      var gt = tagEnd(t, lt);
      if (gt === -1) return null;
      var c = t[lt + 1];
      if (found < 0 && a < gt) {
        if (c === "/" || c === "!" || c === "?" || b >= gt) return null;
        inTag = true;
      }
      if (c === "!" || c === "?") { i = gt; continue; }
      if (c === "/") {
        var top = stack.pop();
        if (!top || top.name !== tagName(t, lt + 2)) return null;
        kids.pop();
        if (stack.length === found) return { path: stack.concat([top]), start: top.start, end: gt };
        i = gt;
        continue;
      }
      var name = tagName(t, lt + 1);
      if (!name) return null;
      var el = { name: name, start: lt, index: kids[kids.length - 1]++ };
      if (VOID.test(name) || t[gt - 2] === "/") {
        if (inTag) return { path: stack.concat([el]), start: lt, end: gt };
        i = gt;
        continue;
      }
      stack.push(el);
      kids.push(0);
      if (inTag) { found = stack.length - 1; inTag = false; }
      i = gt;
      if (RAW.test(name)) {
        var closing = new RegExp("</" + name, "ig");
        closing.lastIndex = gt;
        var m = closing.exec(t);
        if (!m) return null;
        var end = m.index;
        if (found < 0 && a <= end) found = stack.length - 1;
        i = end;
      }
    }
    return null;
  }

  // The element at `path` (from enclosing) in the served page and on the
  // page as it is, if they still match there.
  function locate(path) {
    var s = shown.doc.documentElement, l = document.documentElement;
    if (!path.length || s.localName !== path[0].name || !aligned(s, l)) return null;
    for (var i = 1; i < path.length; i++) {
      s = s.children[path[i].index];
      l = l.children[path[i].index];
      if (!s || !l || s.localName.toLowerCase() !== path[i].name || !aligned(s, l)) return null;
    }
    return [s, l];
  }

  // The one element a piece of markup parses to, out of any page.
  function fragment(markup) {
    var t = document.createElement("template");
    t.innerHTML = markup;
    var c = t.content;
    return c.childNodes.length === 1 && c.firstChild.nodeType === 1 ? c.firstChild : null;
  }

  // Apply one reload event's edits to the served page and the page, each
  // to the element that holds it. Returns the nodes changed, or -1 (and
  // nothing changed) when an edit is not of that kind.
  function patchEdits(edits) {
    var t = shown.text, plan = [];
    for (var k = edits.length - 1; k >= 0; k--) {
      var e = edits[k];
      var removed = t.slice(e.at, e.at + e.remove);
      if (/[<>]/.test(removed + e.insert)) return -1;
      var where = enclosing(t, e.at, e.at + e.remove);
      var pair = where && locate(where.path);
      if (!pair) return -1;
      var next = spliced(t, e);
      var before = fragment(t.slice(where.start, where.end));
      var after = fragment(next.slice(where.start, where.end + e.insert.length - e.remove));
      // The element as parsed alone must be the element as the page has it.
      if (!before || !after || !before.isEqualNode(pair[0]) || after.localName !== before.localName) return -1;
      if (after.localName === "script" && after.getAttribute("src") !== LIVE) return -1;
      plan.push([pair[0], pair[1], after]);
      t = next;
    }
    var touched = 0;
    plan.forEach(function (p) {
      touched += patch(p[0], p[2], p[1]);
      p[0].parentNode.replaceChild(shown.doc.importNode(p[2], true), p[0]);
    });
    shown.text = t;
    return touched;
  }

  // ---- Updates.

  // The page as it was served, before any script changed it, text and
  // tree: a new build is compared with it, and only what differs is touched
  // on the page. Null while not known.
  var shown = null;
  // The reload events' edits of this page since the one shown (null: not
  // known; fetch the page).
  var edits = [];
  // Updates run one after the other; one that is overtaken only notes its
  // edits, and leaves the patching to the next.
  var chain = fetchPage()
    .then(function (p) {
      if (pageGeneration(p.doc) === generation) shown = p;
    })
    .catch(function () {});
  var latest = 0;
  var expected = generation;
  var pending = [];

  // One edit of a reload event applied to a text.
  function spliced(text, e) {
    return text.slice(0, e.at) + e.insert + text.slice(e.at + e.remove);
  }

  // A reload event's edits (in order, apart) applied to a text, the last
  // first so that the positions of the others hold; null if they are not
  // edits of this text.
  function applyEdits(text, page) {
    if (text.length !== page.length) return null;
    for (var i = page.edits.length - 1; i >= 0; i--) {
      text = spliced(text, page.edits[i]);
    }
    return text;
  }

  // Patch the whole page from the new build's page, parsed.
  function patchWhole(page) {
    dropOverlay(shown.doc);
    if (scripts(page.doc) !== scripts(shown.doc)) { reload(); return -1; }
    var touched = patch(shown.doc.documentElement, page.doc.documentElement, document.documentElement);
    shown = page;
    edits = [];
    return touched;
  }

  // Bring the page up to the newest build: element by element from the
  // edits where it can, else from the new page's text, else from the page
  // fetched. The nodes changed, or a promise of them.
  function bring() {
    if (!shown) throw new Error("the page as served is not known");
    var touched = 0;
    while (edits && edits.length) {
      var page = edits[0];
      if (page.edits.length > 8 || shown.text.length !== page.length) break;
      var n = patchEdits(page.edits);
      if (n < 0) break;
      touched += n;
      edits.shift();
    }
    if (edits && edits.length === 0) return touched;
    var text = edits && edits.reduce(function (t, page) { return t === null ? null : applyEdits(t, page); }, shown.text);
    if (text) return touched + patchWhole(parse(text));
    return fetchPage().then(function (page) { return patchWhole(page); });
  }

  function update(tag, changed, pages) {
    expected = tag;
    pending = pending.concat(changed);
    if (pending.some(function (k) { return /\.m?js$/i.test(k); })) return reload();
    var ticket = ++latest;
    var here = siteKey(location.href);
    if (changed.indexOf(here) !== -1) {
      var page = pages && pages[here];
      chain = chain.then(function () { edits = edits && page ? edits.concat([page]) : null; });
    }
    chain = chain.then(function () {
      if (ticket !== latest) return;
      dropOverlay(document);
      var touched = pending.indexOf(here) === -1 ? null : bring();
      return Promise.resolve(touched).then(function (touched) {
        if (touched !== null) {
          if (touched < 0) return;
          mark("patched");
          // How many nodes the patch changed (the tests read it).
          if (me) me.setAttribute("data-patched", String(touched));
        }
        refresh(pending, tag);
        pending = [];
        if (me) me.setAttribute("data-generation", tag);
      });
    }).catch(function () { if (ticket === latest) reload(); });
  }

  if (!window.EventSource) return;
  var source = new EventSource("/__galley/events");
  source.addEventListener("reload", function (e) {
    mark("event");
    var news;
    try { news = JSON.parse(e.data); } catch (err) { return reload(); }
    if (news.generation === expected) return;
    // What changed is known from one generation to the next: a page that
    // missed one (or was served by an earlier server) reloads.
    if (news.changed && news.previous === expected) update(news.generation, news.changed, news.pages);
    else reload();
  });
  source.addEventListener("failed", function (e) { show(e.data); });
})();
