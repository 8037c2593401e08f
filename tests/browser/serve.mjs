// `galley serve` in a real browser: an edit patches the page in place (no
// reload: scroll position, focus and the theme script's state kept), a
// changed style sheet is swapped in, a changed script reloads the page where
// the reader was, a broken file shows the error overlay over the last good
// build, and the fix clears it. Usage: node serve.mjs URL PROJECT_ROOT
// Prints one line per check and exits non-zero if any fails.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";

const [url, root] = process.argv.slice(2);
if (!url || !root) {
  console.error("usage: node serve.mjs URL PROJECT_ROOT");
  process.exit(2);
}
const failures = [];
function check(name, ok, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ": " + detail : ""}`);
  if (!ok) failures.push(name);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
let loads = 0;
page.on("load", () => loads++);
// Requests for the page itself (its first load, the live script's fetch of
// the page as served, and any later one).
let pageRequests = 0;
page.on("request", (r) => { if (r.url() === url) pageRequests++; });
await page.goto(url, { waitUntil: "load" });
// The reload channel is open once the live script has run.
await page.waitForFunction(() => !!document.querySelector("script[data-generation]"));
await page.waitForTimeout(300);

const section = path.join(root, "manuscript/sections/05-conclusion.md");
const original = await readFile(section, "utf8");
const generation = () => page.evaluate(() => document.querySelector("script[data-generation]").getAttribute("data-generation"));
const bodyHas = (s) => page.waitForFunction((s) => document.body.innerText.includes(s), s, { timeout: 30000 });
const scrollY = () => page.evaluate(() => window.scrollY);

// Scroll into the middle of the article (at once, not as the theme's smooth
// scrolling animates it), focus a link, and mark the page: a reload would
// lose the mark.
await page.evaluate(() => {
  window.scrollTo({ top: 3000, behavior: "instant" });
  document.querySelector(".toc-list a[href='#conclusion'], .toc-list a").focus({ preventScroll: true });
  window.galleyMark = "this page, not a reload";
});
const before = await scrollY();
const focused = () => page.evaluate(() => document.activeElement && document.activeElement.getAttribute("href"));
const focusBefore = await focused();
const marked = () => page.evaluate(() => window.galleyMark === "this page, not a reload");

// An edit: the page shows it without reloading.
const requestsBefore = pageRequests;
const parses = () => page.evaluate(() => performance.getEntriesByName("galley:parsed").length);
const parsesBefore = await parses();
const t0 = Date.now();
await writeFile(section, original.replace("may be efficacious", "may be livereloaded"));
await bodyHas("may be livereloaded");
const took = Date.now() - t0;
await page.waitForTimeout(200);
const touched = await page.evaluate(() => document.querySelector("script[data-generation]").getAttribute("data-patched"));
check("an edit patches the page with the new text", (await marked()) && Number(touched) <= 3, `${touched} node(s) changed, ${took} ms from the write`);
check("the page is patched from the reload event's edits, not fetched or parsed again", pageRequests === requestsBefore && (await parses()) === parsesBefore, `${pageRequests - requestsBefore} request(s), ${(await parses()) - parsesBefore} parse(s)`);
check("the page keeps its scroll position", Math.abs((await scrollY()) - before) < 1, `${before} → ${await scrollY()}`);
check("the page keeps its focus", (await focused()) === focusBefore && focusBefore !== null, `${focusBefore}`);
const samePage = () => page.evaluate(async () => {
  const html = await (await fetch(location.href, { cache: "no-store" })).text();
  const doc = new DOMParser().parseFromString(html, "text/html");
  return doc.querySelector("main").isEqualNode(document.querySelector("main")) && doc.head.isEqualNode(document.head);
});
check("the patched page equals the page served", await samePage());

// An edit that adds markup: the page is compared whole, still in place.
await writeFile(section, original.replace("may be efficacious", "may be *really* livereloaded"));
await page.waitForFunction(() => Array.from(document.querySelectorAll("main em")).some((e) => e.textContent === "really"), null, { timeout: 30000 });
check("an edit that adds markup patches the page too", (await marked()) && (await samePage()) && Math.abs((await scrollY()) - before) < 1);

// A style sheet of the project's theme: swapped in, still no reload.
const css = await (await fetch(new URL("assets/galley.css", url))).text();
await mkdir(path.join(root, "theme/static"), { recursive: true });
const themeCss = path.join(root, "theme/static/galley.css");
await writeFile(themeCss, css + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n");
await page.waitForFunction(() => getComputedStyle(document.body).outlineColor === "rgb(1, 2, 3)", null, { timeout: 30000 });
check("a changed style sheet applies without a reload", (await marked()) && (await page.locator("link[rel=stylesheet]").count()) === 1);

// A changed script has run on the page as it was: the page reloads, where
// the reader was.
const themeJs = path.join(root, "theme/static/galley.js");
const js = await (await fetch(new URL("assets/galley.js", url))).text();
const loadsBefore = loads;
await writeFile(themeJs, js + "\nwindow.galleyScript = 2;\n");
await page.waitForFunction(() => window.galleyScript === 2, null, { timeout: 30000 });
await page.waitForTimeout(300);
check("a changed script reloads the page where the reader was", loads === loadsBefore + 1 && Math.abs((await scrollY()) - before) < 5, `${before} → ${await scrollY()}`);
await page.evaluate(() => { window.galleyMark = "this page, not a reload"; });

// A broken section: an overlay over the last good build.
const g2 = await generation();
await writeFile(section, original.replace("may be efficacious", "may be <b>broken</b> {{ data.no_such_thing.x }}"));
await page.waitForSelector("#galley-error", { state: "visible", timeout: 30000 });
const overlay = await page.evaluate(() => {
  const box = document.getElementById("galley-error");
  return { text: box.innerText, role: box.getAttribute("role"), bold: box.querySelectorAll("b").length };
});
check("a failed rebuild shows an overlay", overlay.role === "alert" && /05-conclusion\.md:3:\d+/.test(overlay.text), overlay.text.slice(0, 160));
check("the overlay shows the offending text as text, not markup", overlay.text.includes("<b>broken</b>") && overlay.bold === 0);
check("the last good build stays on the page", (await page.evaluate(() => document.body.innerText)).includes("may be really livereloaded"));
check("no reload for a failed build", (await generation()) === g2 && (await marked()));

// Fixed: the overlay goes with the next good build, still in place.
await rm(themeCss);
await rm(themeJs);
await writeFile(section, original);
await bodyHas("may be efficacious");
await page.waitForFunction(() => !document.getElementById("galley-error"), null, { timeout: 30000 });
check("the fix clears the overlay", (await page.locator("#galley-error").count()) === 0);
check("no script errors", errors.length === 0, errors.join("; "));

await browser.close();
if (failures.length) {
  console.log(`browser (serve): ${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("browser (serve): all checks passed");
