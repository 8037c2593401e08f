// Checks the built site the way readers and machines meet it: Debian's
// Chromium driven by playwright-core, axe-core for WCAG 2.1 AA, and the W3C
// Nu HTML checker. Usage: node check.mjs SITE_DIR SHOTS_DIR
// Prints one line per check and exits non-zero if any fails.
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [site, shots] = process.argv.slice(2);
if (!site || !shots) {
  console.error("usage: node check.mjs SITE_DIR SHOTS_DIR");
  process.exit(2);
}
await mkdir(shots, { recursive: true });

const failures = [];
function check(name, ok, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ": " + detail : ""}`);
  if (!ok) failures.push(name);
}

const types = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".json": "application/json", ".pdf": "application/pdf", ".csv": "text/csv", ".bib": "text/plain" };
const server = createServer(async (req, res) => {
  const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = path.join(site, url.endsWith("/") ? url + "index.html" : url);
  if (!file.startsWith(path.resolve(site))) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

async function open(viewport, colorScheme = "light") {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  const errors = [];
  const foreign = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(origin) && !r.url().startsWith("data:") && foreign.push(r.url()));
  await page.goto(origin + "/index.html", { waitUntil: "load" });
  return { page, context, errors, foreign };
}

const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
async function axe(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  });
}

try {
  // Desktop, light.
  {
    const { page, context, errors, foreign } = await open({ width: 1280, height: 900 });
    check("page loads without console errors", errors.length === 0, errors.join("; "));
    check("no request to another host", foreign.length === 0, foreign.join(", "));
    check("language is set", (await page.getAttribute("html", "lang")) === "en");

    const levels = await page.$$eval("h1, h2, h3, h4, h5, h6", (hs) => hs.map((h) => Number(h.tagName[1])));
    const skip = levels.findIndex((l, i) => i > 0 && l > levels[i - 1] + 1);
    check("heading levels do not skip", levels[0] === 1 && skip === -1, skip === -1 ? "" : `h${levels[skip - 1]} then h${levels[skip]}`);

    const figure = await page.evaluate(() => {
      const svg = document.querySelector("#fig-prisma svg");
      if (!svg || svg.getAttribute("role") !== "img") return "";
      return (svg.getAttribute("aria-labelledby") || "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
    });
    check("the figure has a text alternative", figure.includes("3767") && figure.includes("included"), figure.slice(0, 80));

    const marks = await page.$$eval("#tbl-rob .mark", (ms) => ms.map((m) => m.textContent.trim()));
    check("RoB2 marks are not colour alone", marks.length > 0 && marks.every((t) => /^[LSH](Low risk of bias|Some concerns|High risk of bias)$/.test(t)), marks[0]);

    // Scrolling may be smooth: wait until the target settles in view.
    const settles = (sel) =>
      page
        .waitForFunction((s) => { const t = document.querySelector(s).getBoundingClientRect().top; return t > -2 && t < 200; }, sel, { timeout: 8000 })
        .then(() => true, () => false);
    await page.click('nav.toc a[href="#sec-results"]');
    const top = await settles("#sec-results");
    check("a contents link scrolls to its section", top, String(await page.$eval("#sec-results", (e) => e.getBoundingClientRect().top)));

    await page.hover("#cite-1 a");
    check("hovering a citation shows its reference", await page.isVisible("#cite-1-tip"));
    await page.mouse.move(0, 0);
    await page.focus("#cite-3 a");
    const tip = await page.textContent("#cite-3-tip");
    check("focusing a citation shows its reference", (await page.isVisible("#cite-3-tip")) && tip.includes("Schrader"), tip.slice(0, 60));

    const back = await page.getAttribute("#ref-abdallah2022 .backlinks a", "href");
    await page.click("#ref-abdallah2022 .backlinks a");
    const returned = await settles(back);
    check("a reference's back-link returns to the citation", page.url().endsWith(back) && returned, back);

    const links = await page.$$eval("a[href]", (as) => as.filter((a) => a.offsetParent !== null || a.getClientRects().length).length);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.focus("body");
    const reached = new Set();
    for (let i = 0; i < links + 20; i++) {
      await page.keyboard.press("Tab");
      const id = await page.evaluate(() => {
        const a = document.activeElement;
        if (!a || a.tagName !== "A") return null;
        if (!a.dataset.k) a.dataset.k = String(Math.random());
        return a.dataset.k;
      });
      if (id) reached.add(id);
    }
    check("the keyboard alone reaches every link", reached.size >= links, `${reached.size} of ${links}`);

    const violations = await axe(page);
    check("axe-core: no WCAG 2.1 AA violation (light)", violations.length === 0, violations.join("; "));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, "desktop-light.png"), fullPage: false });

    await page.emulateMedia({ media: "print" });
    const tocDisplay = await page.$eval("nav.toc", (n) => getComputedStyle(n).display);
    check("print media hides the navigation", tocDisplay === "none", tocDisplay);
    await context.close();
  }
  // Desktop, dark.
  {
    const { page, context } = await open({ width: 1280, height: 900 }, "dark");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    check("dark mode applies under prefers-color-scheme: dark", r + g + b < 150, bg);
    const violations = await axe(page);
    check("axe-core: no WCAG 2.1 AA violation (dark)", violations.length === 0, violations.join("; "));
    await page.screenshot({ path: path.join(shots, "desktop-dark.png") });
    await context.close();
  }
  // Phone, light and dark.
  for (const scheme of ["light", "dark"]) {
    const { page, context } = await open({ width: 390, height: 844 }, scheme);
    if (scheme === "light") {
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      check("the page does not scroll sideways at 390 px", pageWidth <= 390, `scrollWidth=${pageWidth}`);
      const table = await page.$eval("#tbl-studies .table-scroll", (d) => [d.scrollWidth, d.clientWidth]);
      check("tables scroll horizontally at 390 px", table[0] > table[1], `${table[0]} > ${table[1]}`);
      const violations = await axe(page);
      check("axe-core: no WCAG 2.1 AA violation (phone)", violations.length === 0, violations.join("; "));
    }
    await page.screenshot({ path: path.join(shots, `phone-${scheme}.png`) });
    await page.$eval("#tbl-studies", (e) => e.scrollIntoView({ behavior: "instant" }));
    await page.screenshot({ path: path.join(shots, `phone-${scheme}-table.png`) });
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}

// The W3C Nu HTML checker, with the machine's Java.
try {
  const jar = require.resolve("vnu-jar");
  const jarPath = path.join(path.dirname(jar), "build", "dist", "vnu.jar");
  execFileSync("java", ["-jar", jarPath, "--errors-only", "--format", "text", path.join(site, "index.html"), path.join(site, "404.html")], { stdio: "pipe" });
  check("Nu HTML checker: no error in index.html and 404.html", true);
} catch (e) {
  const out = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim().split("\n").slice(0, 8).join(" | ");
  check("Nu HTML checker: no error in index.html and 404.html", false, out);
}

console.log(failures.length === 0 ? "browser: all checks passed" : `browser: ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
