// Lighthouse (mobile, its default throttling) on the customer's pages in both languages: the request form and
// a live status page, each in English and in Russian. Prints the four category scores per page and the
// performance metrics, for tests/bench/RESULTS.md. Runs against the release build: `bash tests/bench/run.sh
// lighthouse`. Lighthouse is installed on first use into tests/bench/lighthouse/ (pinned; not a test dependency).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startServer, apiRequest } from '../e2e/harness.mjs';

const here = join(import.meta.dirname, 'lighthouse');
if (!existsSync(join(here, 'node_modules', 'lighthouse'))) {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', here], { stdio: 'inherit' });
}
const require = createRequire(join(here, 'package.json'));
const { default: lighthouse } = await import(require.resolve('lighthouse'));
const chromeLauncher = await import(require.resolve('chrome-launcher'));

const server = await startServer();
const { token } = await apiRequest(server.base);
const pages = [
  ['form', 'en', '/'],
  ['form', 'ru', '/'],
  ['status', 'en', `/r/${token}`],
  ['status', 'ru', `/r/${token}`],
];
const chrome = await chromeLauncher.launch({
  chromePath: '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const rows = [];
try {
  for (const [what, lang, path] of pages) {
    const result = await lighthouse(`${server.base}${path}`, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      // The page's language comes from the browser's, as a stranded customer's phone sends it.
      extraHeaders: { 'Accept-Language': lang === 'ru' ? 'ru-RU,ru;q=0.9' : 'en-US,en;q=0.9' },
    });
    const lhr = result.lhr;
    const score = (c) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
    const ms = (a) => Math.round(lhr.audits[a]?.numericValue ?? 0);
    const failing = Object.values(lhr.audits)
      .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
      .map((a) => a.id);
    rows.push({ what, lang, perf: score('performance'), a11y: score('accessibility'), bp: score('best-practices'),
      seo: score('seo'), fcp: ms('first-contentful-paint'), lcp: ms('largest-contentful-paint'),
      tbt: ms('total-blocking-time'), cls: (lhr.audits['cumulative-layout-shift']?.numericValue ?? 0).toFixed(3),
      failing: failing.join(' ') });
  }
} finally {
  await chrome.kill();
  await server.stop();
}
console.log('| page | language | performance | accessibility | best practices | SEO | FCP ms | LCP ms | TBT ms | CLS | failing audits |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.what} | ${r.lang} | ${r.perf} | ${r.a11y} | ${r.bp} | ${r.seo} | ${r.fcp} | ${r.lcp} | ${r.tbt} | ${r.cls} | ${r.failing || '–'} |`);
}
