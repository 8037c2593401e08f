// Edit → updated page in a real browser: `galley serve` on a copy of the
// paper, Chromium (headless) showing it, one-word edits to a section. For
// each edit, the time from the file write to the moment the page's DOM holds
// the new word (patched in place by the live script), and to the next frame
// after it. Reports medians; checks that no edit reloaded the page.
//
//     npm ci --ignore-scripts --prefix tests/browser   # once (tests/provision.sh does)
//     node bench/serve_page.mjs --bin target/release/galley --edits 30
//
// The clocks compared are the browser's and node's `performance.timeOrigin +
// performance.now()`, both the system's wall clock.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { chromium } = await import(path.join(repo, "tests/browser/node_modules/playwright-core/index.mjs"));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : args[i + 1];
};
const bin = path.resolve(opt("--bin", path.join(repo, "target/release/galley")));
const edits = Number(opt("--edits", "30"));
const SECTION = "manuscript/sections/05-conclusion.md";
const WORD = "efficacious";

const work = mkdtempSync(path.join(os.tmpdir(), "galley-page-bench-"));
for (const sub of ["manuscript", "bibliography", "theme"]) {
  cpSync(path.join(repo, sub), path.join(work, sub), { recursive: true });
}
const section = path.join(work, SECTION);
const original = readFileSync(section, "utf8");

const server = spawn(bin, ["serve", "--port", "0", "--root", work], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
const url = await new Promise((resolve, reject) => {
  let log = "";
  server.stderr.on("data", (d) => {
    log += d;
    const m = log.match(/ at (http:\/\/127\.0\.0\.1:\d+\/)/);
    if (m) resolve(m[1]);
  });
  server.on("exit", () => reject(new Error("galley serve stopped:\n" + log)));
});
const now = () => performance.timeOrigin + performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  let loads = 0;
  page.on("load", () => loads++);
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => !!document.querySelector("script[data-generation]"));
  // Let the first PDF and Word file finish.
  await page.waitForTimeout(3000);
  const loadsBefore = loads;
  await page.evaluate(() => performance.clearMarks());
  const dom = [];
  const frame = [];
  const steps = {};
  for (let i = 1; i <= edits; i++) {
    const word = `${WORD}${i}x`;
    await page.evaluate((word) => {
      window.galleySeen = null;
      const observer = new MutationObserver((records) => {
        const hit = records.some((r) => (r.type === "characterData" ? r.target.data : Array.from(r.addedNodes).map((n) => n.textContent).join("")).includes(word));
        if (!hit) return;
        const at = performance.timeOrigin + performance.now();
        observer.disconnect();
        requestAnimationFrame(() => { window.galleySeen = [at, performance.timeOrigin + performance.now()]; });
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    }, word);
    const t0 = now();
    writeFileSync(section, original.replace(WORD, word));
    const seen = await (await page.waitForFunction(() => window.galleySeen, null, { timeout: 30000, polling: 5 })).jsonValue();
    dom.push(seen[0] - t0);
    frame.push(seen[1] - t0);
    // The live script's marks of this update: when the event came, the
    // page was fetched, parsed and patched.
    const marks = await page.evaluate(() => {
      const out = {};
      for (const m of performance.getEntriesByType("mark")) out[m.name.replace("galley:", "")] = performance.timeOrigin + m.startTime;
      performance.clearMarks();
      return out;
    });
    for (const [k, v] of Object.entries(marks)) (steps[k] ??= []).push(v - t0);
    // The PDF and the Word file of this edit are made after the page: let
    // them finish, so every edit starts from a quiet server.
    await page.waitForTimeout(700);
  }
  const fmt = (xs) => `median ${median(xs).toFixed(0).padStart(4)} ms   min ${Math.min(...xs).toFixed(0).padStart(4)}   max ${Math.max(...xs).toFixed(0).padStart(4)}`;
  console.log(`galley serve in Chromium, one-word edit of ${SECTION}, ${edits} edits`);
  console.log(`  write → page DOM updated:     ${fmt(dom)}`);
  console.log(`  write → next frame:          ${fmt(frame)}`);
  for (const k of ["event", "fetched", "parsed", "patched"]) {
    if (steps[k]) console.log(`  write → ${(k + ":").padEnd(20)} ${fmt(steps[k])}`);
  }
  console.log(`  page reloads: ${loads - loadsBefore} (0: every edit was patched in place)`);
} finally {
  await browser.close();
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
