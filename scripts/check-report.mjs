// Loads a report in headless Chromium and reports every problem a reader
// would hit: failed or external requests, broken images, console errors and
// uncaught exceptions. Called by check-report.sh, which installs the tools.
//
//   node check-report.mjs REPORT_HTML SCREENSHOT_PNG CHROMIUM USER_DATA_DIR [PRINT_PDF]

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const [report, shot, executablePath, userDataDir, pdf] = process.argv.slice(2);
const problems = [];

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1366, height: 900 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});

try {
  // The report must not fetch anything: only the file itself may load.
  const url = pathToFileURL(path.resolve(report)).href;
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url || u.startsWith('data:')) {
      return route.continue();
    }
    problems.push(`external request: ${u}`);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
  page.on('requestfailed', (req) => {
    problems.push(`failed to load: ${req.url().slice(0, 120)} (${req.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url().slice(0, 120)}`);
  });

  const response = await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  if (!response || !response.ok()) problems.push(`the report itself did not load (${response?.status()})`);

  const broken = await page.evaluate(() =>
    Array.from(document.images)
      .filter((img) => !img.complete || img.naturalWidth === 0)
      .map((img) => img.alt || img.src.slice(0, 60)),
  );
  for (const alt of broken) problems.push(`broken image: ${alt}`);

  // A 1280 px window shows the page without scrolling sideways: wide tables
  // scroll inside their own box.
  await page.setViewportSize({ width: 1280, height: 900 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) problems.push(`the page is ${overflow}px wider than a 1280px window`);
  await page.setViewportSize({ width: 1366, height: 900 });
  const facts = await page.evaluate(() => ({
    title: document.title,
    images: document.images.length,
    tables: document.querySelectorAll('table').length,
    height: document.documentElement.scrollHeight,
  }));

  await page.screenshot({ path: shot, fullPage: true });
  if (pdf) {
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  }
  console.log(
    `${report}: "${facts.title}", ${facts.images} image(s), ${facts.tables} table(s), ` +
      `${facts.height}px tall; screenshot ${shot}${pdf ? `, print ${pdf}` : ''}`,
  );
} finally {
  await context.close();
}

if (problems.length > 0) {
  console.error(`${problems.length} problem(s) in ${report}:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log('ok: every resource loaded, nothing external, no console errors');
