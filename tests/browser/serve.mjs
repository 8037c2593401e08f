// `galley serve` in a real browser: an edit reloads the page where the
// reader was, a broken file shows the error overlay over the last good
// build, and the fix clears it. Usage: node serve.mjs URL PROJECT_ROOT
// Prints one line per check and exits non-zero if any fails.
import { readFile, writeFile } from "node:fs/promises";
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
await page.goto(url, { waitUntil: "load" });
// The reload channel is open once the live script has run.
await page.waitForFunction(() => !!document.querySelector("script[data-generation]"));
await page.waitForTimeout(300);

const section = path.join(root, "manuscript/sections/05-conclusion.md");
const original = await readFile(section, "utf8");
const generation = () => page.evaluate(() => document.querySelector("script[data-generation]").getAttribute("data-generation"));

// Scroll into the middle of the article, then edit a section.
// At once, not as the theme's smooth scrolling animates it (which lags
// while the PDF and Word file are made beside the browser).
await page.evaluate(() => window.scrollTo({ top: 3000, behavior: "instant" }));
const before = await page.evaluate(() => window.scrollY);
const g1 = await generation();
await writeFile(section, original.replace("may be efficacious", "may be livereloaded"));
await page.waitForFunction((g) => {
  const s = document.querySelector("script[data-generation]");
  return s && s.getAttribute("data-generation") !== g && document.readyState === "complete";
}, g1, { timeout: 30000 });
await page.waitForTimeout(200);
const text = await page.evaluate(() => document.body.innerText);
check("an edit reloads the page with the new text", text.includes("may be livereloaded"));
const after = await page.evaluate(() => window.scrollY);
check("the page keeps its scroll position", Math.abs(after - before) < 5, `${before} → ${after}`);

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
check("the last good build stays on the page", (await page.evaluate(() => document.body.innerText)).includes("may be livereloaded"));
check("no reload for a failed build", (await generation()) === g2);

// Fixed: the overlay goes with the next good build.
await writeFile(section, original);
await page.waitForFunction((g) => {
  const s = document.querySelector("script[data-generation]");
  return s && s.getAttribute("data-generation") !== g && document.readyState === "complete";
}, g2, { timeout: 30000 });
check("the fix clears the overlay", (await page.locator("#galley-error").count()) === 0);
check("no script errors", errors.length === 0, errors.join("; "));

await browser.close();
if (failures.length) {
  console.log(`browser (serve): ${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("browser (serve): all checks passed");
